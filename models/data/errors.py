"""Errors a user can act on: each names the file, the column, the first offending rows and what was expected."""

from __future__ import annotations

from typing import Sequence

__all__ = ["DataValidationError", "WorkspaceError", "ArtifactError", "NotFittedError"]


def __getattr__(name: str):
    # sklearn's NotFittedError, re-exported so the project has one name for it; imported on first use
    # because importing sklearn costs seconds and most commands (ingest, overview) never need it
    if name == "NotFittedError":
        from sklearn.exceptions import NotFittedError

        return NotFittedError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class DataValidationError(ValueError):
    """An input file does not match what the assistant expects.

    ``rows`` are 1-based data-row numbers as a person counts them in the file
    (the header is not counted).
    """

    def __init__(
        self,
        file: str,
        problem: str,
        *,
        column: str | None = None,
        rows: Sequence[int] = (),
        expected: str | None = None,
        examples: Sequence[object] = (),
    ) -> None:
        self.file = str(file)
        self.problem = problem
        self.column = column
        self.rows = [int(r) for r in list(rows)[:5]]
        self.n_rows = len(rows)
        self.expected = expected
        self.source_column: str | None = None  # the user's own name for ``column``, when --map renamed it
        self.examples = [str(e)[:60] for e in list(examples)[:5]]
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [f"{self.file}: {self.problem}"]
        if self.column is not None and self.source_column and self.source_column != self.column:
            parts.append(f"column '{self.source_column}' (read as '{self.column}')")
        elif self.column is not None:
            parts.append(f"column '{self.column}'")
        if self.rows:
            more = f" (and {self.n_rows - len(self.rows)} more)" if self.n_rows > len(self.rows) else ""
            parts.append("row " + ", ".join(str(r) for r in self.rows) + more)
        if self.examples:
            parts.append("found " + ", ".join(repr(e) for e in self.examples))
        if self.expected:
            parts.append(f"expected {self.expected}")
        return "; ".join(parts)

    def named_as_in_file(self, source_names: dict[str, str]) -> "DataValidationError":
        """Name the column as the user's file does (``--map timestamp=date`` → 'date'); returns self."""
        src = source_names.get(self.column or "")
        if src and src != self.column:
            self.source_column = str(src)
            self.args = (self._message(),)
        return self

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "problem": self.problem,
            "column": self.column,
            "source_column": self.source_column,
            "rows": self.rows,
            "n_rows": self.n_rows,
            "found": self.examples,
            "expected": self.expected,
            "message": str(self),
        }


class WorkspaceError(RuntimeError):
    """The workspace is missing something a command needs (e.g. no orders ingested, model not trained)."""


class ArtifactError(WorkspaceError):
    """A fitted artifact (model, scores, card) or the review index is unreadable: corrupt, cut short or written
    by another version. The message names the file and the command that rebuilds it."""
