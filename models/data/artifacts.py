"""Reading fitted artifacts safely: a corrupt, truncated or foreign file is one clean ``ArtifactError`` that
says which command rebuilds it ("retrain with `mka train`", "rebuild with `mka index`"), never a library's
traceback or its advice (torch's "pass weights_only=False" would run code from an untrusted file).

Writes are the other half: every artifact is written to a temp file and renamed into place
(``models.data.atomic``), under the workspace write lock (``Workspace.write_lock``), so the previous good
artifact stays until the new one is complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, TypeVar

from models.data.errors import ArtifactError, WorkspaceError

__all__ = ["read_artifact", "load_torch", "RETRAIN", "REINDEX"]

T = TypeVar("T")
RETRAIN = "retrain with `mka train`"
REINDEX = "rebuild with `mka index`"


def read_artifact(path: str | Path, load: Callable[[Path], T], *, what: str, fix: str = RETRAIN) -> T:
    """``load(path)``, with any failure to read or make sense of the file as an ``ArtifactError`` naming it.

    A missing file is left to the caller (``FileNotFoundError`` says "not trained yet", a different fix), and
    so are the workspace's own errors."""
    path = Path(path)
    try:
        return load(path)
    except (FileNotFoundError, WorkspaceError, KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 — a corrupt file raises whatever its parser raises
        raise ArtifactError(f"{path}: the {what} is unreadable (corrupt, cut short or written by another "
                            f"version of mka: {type(exc).__name__}); {fix}") from None


def load_torch(source: Any) -> Any:
    """``torch.load`` of a checkpoint with ``weights_only=True``: tensors and plain containers only, never
    pickled code."""
    import torch

    return torch.load(source, map_location="cpu", weights_only=True)
