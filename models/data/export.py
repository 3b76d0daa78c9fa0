"""CSV exports a spreadsheet opens safely: text cells that start like a formula are neutralised.

Per OWASP's CSV-injection guidance a cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return
gets a leading apostrophe, so Excel/LibreOffice/Sheets show it as text instead of running it (a customer id
``=cmd|' /C calc'!A0``). Only text columns are touched (numbers stay numbers); one vectorised pass per column.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["neutralise_formulas", "to_csv_safe", "FORMULA_START"]

FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(df: "pd.DataFrame") -> "pd.DataFrame":
    """A copy of ``df`` whose text cells starting with = + - @ tab or CR begin with an apostrophe."""
    import pandas as pd  # here, not at import: command modules import this module when `mka` starts

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            text = s.astype("string")
            risky = text.str.contains(FORMULA_START, regex=True).fillna(False).astype(bool)
            if risky.any():
                out[col] = s.where(~risky, "'" + text)
    return out


def to_csv_safe(df: "pd.DataFrame", path: str | os.PathLike | Path, **kwargs) -> None:
    """``df.to_csv(path, index=False)`` with formula-looking text neutralised: every CSV export goes here."""
    kwargs.setdefault("index", False)
    neutralise_formulas(df).to_csv(path, **kwargs)
