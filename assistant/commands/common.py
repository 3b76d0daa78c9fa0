"""Options and error handling shared by every command."""

from __future__ import annotations

import functools
import json
import math
import sys
from pathlib import Path
from typing import Any, Callable

import click

from assistant.llm_errors import LLMEndpointError
from assistant.redact import redact
from assistant.settings import Settings
from models.data.errors import DataValidationError, WorkspaceError
from models.data.workspace import DEFAULT_WORKSPACE, Workspace

__all__ = ["workspace_option", "chroma_option", "json_option", "user_errors", "check_csv_path", "csv_option", "write_csv", "parse_as_of", "echo_json",
           "dumps_json", "json_safe", "current_settings", "EXIT_USER_ERROR"]

EXIT_USER_ERROR = 2


def current_settings() -> Settings:
    """The settings `mka` read when it started (``assistant.cli.main``); read now for a command run on its own."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(Settings) if ctx is not None else None
    return found if found is not None else Settings.from_env()


def workspace_option(fn: Callable) -> Callable:
    """``--workspace DIR`` (default: the settings' workspace); the command receives ``ws: Workspace``."""

    @click.option("--workspace", "-w", "workspace", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help=f"Workspace folder (tables, models, review index).  [default: $MKA_WORKSPACE or "
                       f"{DEFAULT_WORKSPACE}]")
    @functools.wraps(fn)
    def wrapper(*args: Any, workspace: Path | None, **kwargs: Any) -> Any:
        settings = current_settings()
        chroma_url = kwargs.pop("chroma_url", None)  # present when the command also has chroma_option
        if chroma_url:
            settings = settings.updated({"chroma_url": chroma_url})
        return fn(*args, ws=Workspace(workspace or settings.workspace, lock_timeout=settings.lock_timeout_s,
                                      chroma_url=settings.chroma_url), **kwargs)

    return wrapper


def _check_chroma_url(_ctx: Any, _param: Any, value: str | None) -> str | None:
    if value:
        from models.reviews.index import parse_chroma_url

        try:
            parse_chroma_url(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def chroma_option(fn: Callable) -> Callable:
    """``--chroma-url http://host:port``: the review index on that Chroma server (default: $MKA_CHROMA_URL, else
    the workspace's own index). Consumed by ``workspace_option`` (or read by the command as ``chroma_url``)."""
    return click.option("--chroma-url", "chroma_url", default=None, metavar="URL", callback=_check_chroma_url,
                        help="Review index on this Chroma server (`chroma run`), e.g. http://127.0.0.1:8000  "
                             "[default: $MKA_CHROMA_URL, else the workspace's own index]")(fn)


def check_csv_path(csv_path: Path | None, ws: Workspace) -> None:
    """Refuse a ``--csv`` target inside the workspace folder (its manifest, tables, models, index): writing
    there would overwrite the workspace's own files. Exports go anywhere else."""
    if csv_path is None:
        return
    target, root = Path(csv_path).resolve(), ws.path.resolve()
    if target == root or root in target.parents:
        raise click.UsageError(f"--csv {csv_path}: that is inside the workspace folder {ws.path}, whose files "
                               f"it could overwrite; write the CSV somewhere else (e.g. ./export.csv)")


def parse_as_of(ws: Workspace, value: Any) -> Any:
    """A ``--as-of`` value as a pandas Timestamp inside the data's range (None stays None); a value that is not
    a date, or is before the first order or after the day after the last one, is a usage error (exit 2) that
    gives the valid range."""
    if value is None:
        return None
    import pandas as pd

    from models.data.freshness import AsOfRangeError, check_as_of

    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise click.BadParameter(f"{value!r} is not a date; expected YYYY-MM-DD", param_hint="--as-of") from None
    try:
        return check_as_of(ws, ts)
    except AsOfRangeError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None


def csv_option(help: str, *, with_json: bool = False) -> Callable[[Callable], Callable]:
    """``--csv FILE`` for a command under ``workspace_option``: refused inside the workspace folder
    (``check_csv_path``) and, unless ``with_json``, together with ``--json``; the command receives ``csv_path``
    (a Path or None) and writes it with ``write_csv``."""

    def decorate(fn: Callable) -> Callable:
        @click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help=help)
        @functools.wraps(fn)
        def wrapper(*args: Any, ws: Workspace, csv_path: Path | None, **kwargs: Any) -> Any:
            check_csv_path(csv_path, ws)
            if csv_path is not None and kwargs.get("as_json") and not with_json:
                raise click.UsageError("use either --json or --csv, not both")
            return fn(*args, ws=ws, csv_path=csv_path, **kwargs)

        return wrapper

    return decorate


def write_csv(frame: Any, csv_path: Path | None, what: str = "rows") -> str | None:
    """Write ``frame`` to ``csv_path`` whole or not at all (a temp file renamed into place), formula cells
    neutralised (``models.data.export``); returns the line that says where it went, or None without a path."""
    if csv_path is None:
        return None
    from models.data.atomic import atomic_path
    from models.data.export import to_csv_safe

    with atomic_path(csv_path, suffix=".csv") as tmp:
        to_csv_safe(frame, tmp)
    return f"Wrote {len(frame):,} {what} to {csv_path}"


def json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(fn)


def json_safe(obj: Any) -> Any:
    """``obj`` with every NaN / inf (Python or numpy float, pandas NA) made ``None``: JSON has no NaN."""
    if isinstance(obj, float) or (type(obj).__module__ == "numpy" and hasattr(obj, "dtype") and obj.dtype.kind == "f"
                                  and getattr(obj, "ndim", 0) == 0):
        return float(obj) if math.isfinite(float(obj)) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if obj is not None and type(obj).__name__ in ("NAType", "NaTType"):
        return None
    return obj


def dumps_json(obj: Any, indent: int | None = 2) -> str:
    """The one JSON encoder of CLI output: always valid JSON (NaN/inf become null, never ``NaN``)."""
    return json.dumps(json_safe(obj), indent=indent, default=str, ensure_ascii=False, allow_nan=False)


def echo_json(obj: Any) -> None:
    click.echo(dumps_json(obj))


def _is_not_fitted(exc: BaseException) -> bool:
    # sklearn is imported only by commands that fit models; if it is not loaded, nothing raised its error
    exceptions = sys.modules.get("sklearn.exceptions")
    return exceptions is not None and isinstance(exc, exceptions.NotFittedError)


def user_errors(fn: Callable) -> Callable:
    """Turn the errors a user can fix into one clean message and exit code 2 (no traceback); every message
    passes through ``assistant.redact.redact`` (no API key or bearer token reaches the terminal)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (DataValidationError, WorkspaceError, FileNotFoundError, LLMEndpointError) as exc:
            click.secho(f"Error: {redact(exc)}", fg="red", err=True)
            sys.exit(EXIT_USER_ERROR)
        except click.ClickException as exc:
            exc.message = redact(exc.message)
            raise
        except Exception as exc:
            if not _is_not_fitted(exc):
                raise
            click.secho(f"Error: {redact(exc)}", fg="red", err=True)
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.secho("Interrupted: the workspace is unchanged.", fg="yellow", err=True)
            sys.exit(130)

    return wrapper
