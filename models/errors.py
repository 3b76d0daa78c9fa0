"""Errors a user can act on: each names the file, the column, the first offending rows and what was expected."""

from __future__ import annotations

from typing import Sequence

__all__ = ["DataValidationError", "WorkspaceError", "NotFittedError"]


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
        self.examples = [str(e)[:60] for e in list(examples)[:5]]
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [f"{self.file}: {self.problem}"]
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        if self.rows:
            more = f" (and {self.n_rows - len(self.rows)} more)" if self.n_rows > len(self.rows) else ""
            parts.append("row " + ", ".join(str(r) for r in self.rows) + more)
        if self.examples:
            parts.append("found " + ", ".join(repr(e) for e in self.examples))
        if self.expected:
            parts.append(f"expected {self.expected}")
        return "; ".join(parts)

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "problem": self.problem,
            "column": self.column,
            "rows": self.rows,
            "n_rows": self.n_rows,
            "found": self.examples,
            "expected": self.expected,
            "message": str(self),
        }


class WorkspaceError(RuntimeError):
    """The workspace is missing something a command needs (e.g. no orders ingested, model not trained)."""
