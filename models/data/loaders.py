"""Read a user's file into a raw DataFrame, chosen by extension, and map its columns onto canonical names.

Formats: ``.csv`` / ``.tsv`` (optionally ``.gz``), ``.parquet``, JSON lines ``.jsonl`` / ``.ndjson`` / ``.json``
(optionally ``.gz``; a ``.json`` file holding one JSON array also works). The content is checked against the
extension first, so a Parquet name with CSV inside, or a ``.gz`` that is not gzip, is refused with a message
saying what the file looks like.

The frame returned is indexed by the 1-based data-row number of the file (header not counted), so the
validators can name the rows a person would find in an editor. Text files are read with every column as
text; the validators parse dates and numbers.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from models.data.errors import DataValidationError
from models.data.schema import COLUMN_SYNONYMS

__all__ = ["SUPPORTED_EXTENSIONS", "file_format", "read_raw", "parse_mapping", "apply_mapping"]

SUPPORTED_EXTENSIONS = (".csv", ".tsv", ".csv.gz", ".tsv.gz", ".parquet", ".pq", ".jsonl", ".ndjson", ".json",
                        ".jsonl.gz", ".ndjson.gz", ".json.gz")

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_ZIP_MAGIC = b"PK\x03\x04"


def file_format(path: str | Path) -> tuple[str, bool]:
    """``(kind, gzipped)`` from the file name; kind is ``csv``, ``tsv``, ``parquet`` or ``json``."""
    name = Path(path).name.lower()
    gz = name.endswith(".gz")
    base = name[:-3] if gz else name
    for ext, kind in ((".csv", "csv"), (".tsv", "tsv"), (".parquet", "parquet"), (".pq", "parquet"),
                      (".jsonl", "json"), (".ndjson", "json"), (".json", "json")):
        if base.endswith(ext) and not (gz and kind == "parquet"):
            return kind, gz
    raise DataValidationError(path, "unsupported file type",
                              expected="one of " + ", ".join(SUPPORTED_EXTENSIONS))


def _looks_like(head: bytes) -> str:
    """A short description of what some bytes are, for 'not what its extension says' messages."""
    if head.startswith(_GZIP_MAGIC):
        return "gzip-compressed data"
    if head.startswith(_PARQUET_MAGIC):
        return "a Parquet file"
    if head.startswith(_ZIP_MAGIC):
        return "a zip archive (an Excel .xlsx workbook? export it as CSV)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text"
    if b"\x00" in head[:4096]:
        return "binary data"
    text = head[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith(("{", "[")):
        return "JSON text"
    if text:
        return "plain text (CSV?)"
    return "an empty file"


def _read_bytes(path: Path, kind: str, gz: bool) -> bytes:
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise DataValidationError(path, "is a folder, not a file") from None
    if not data:
        raise DataValidationError(path, "empty file (0 bytes)", expected="a header row and at least one data row")
    if gz:
        if not data.startswith(_GZIP_MAGIC):
            raise DataValidationError(path, f"not gzip-compressed although the name ends in .gz; it looks like "
                                            f"{_looks_like(data)}", expected="a gzip file, or rename it without .gz")
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataValidationError(path, f"gzip data is damaged or truncated ({exc})",
                                      expected="a complete gzip file") from None
        if not data:
            raise DataValidationError(path, "empty file (nothing inside the gzip)",
                                      expected="a header row and at least one data row")
    if kind == "parquet":
        if not data.startswith(_PARQUET_MAGIC):
            raise DataValidationError(path, f"not a Parquet file although the name ends in .parquet; it looks "
                                            f"like {_looks_like(data)}",
                                      expected="a Parquet file, or rename it to match its content (.csv, .jsonl)")
    else:
        what = _looks_like(data)
        if what in ("gzip-compressed data", "a Parquet file", "binary data") or what.startswith("a zip"):
            raise DataValidationError(path, f"not a {kind.upper()} text file despite its name; it looks "
                                            f"like {what}",
                                      expected=f"{kind.upper()} text, or rename it to match its content "
                                               f"(.{kind}.gz, .parquet)")
    return data


def _to_utf8(data: bytes, path: Path, encoding: str | None, header_lines: int) -> bytes:
    """Check (or convert) the text encoding; name the data row and byte of the first bad byte."""
    if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
        try:
            return data.decode(encoding).encode("utf-8")
        except LookupError:
            raise DataValidationError(path, f"unknown encoding {encoding!r}",
                                      expected="an encoding name such as utf-8, latin-1, cp1252") from None
        except UnicodeDecodeError as exc:
            raise DataValidationError(path, f"cannot be read as {encoding} (byte {exc.start})",
                                      expected="the file's real encoding in --encoding") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataValidationError(path, "text is UTF-16, not UTF-8", expected="UTF-8 text (re-save as UTF-8, "
                                  "or pass --encoding utf-16)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start)  # 0-based line of the bad byte
        row = line + 1 - header_lines
        bad = data[exc.start:exc.start + 4]
        context = data[max(0, exc.start - 20):exc.start + 10].decode("utf-8", errors="replace")
        raise DataValidationError(
            path, f"not UTF-8 text: byte {exc.start} (0x{bad[0]:02x}) on line {line + 1} cannot be decoded",
            rows=[row] if row >= 1 else [], examples=[context],
            expected="UTF-8 text (re-save as UTF-8, or pass --encoding latin-1 / cp1252)") from None
    if data.startswith(b"\xef\xbb\xbf"):  # Excel writes a BOM; it would end up in the first column name
        data = data[3:]
    return data


def _read_delimited(data: bytes, path: Path, sep: str) -> pd.DataFrame:
    if sep == ",":
        first = data[: data.find(b"\n")] if b"\n" in data else data
        if first.count(b";") > first.count(b",") and first.count(b";") > 0:
            sep = ";"  # European spreadsheet exports
    try:
        # every column as text: the validators parse dates and numbers so they can name bad rows
        df = pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, skip_blank_lines=False, engine="c",
                         na_values=["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"], keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise DataValidationError(path, "empty file (no header row)",
                                  expected="a header row and at least one data row") from None
    except pd.errors.ParserError as exc:
        raise DataValidationError(path, f"malformed CSV: {str(exc).strip()}",
                                  expected="the same number of fields on every line (quote fields that "
                                           "contain the separator)") from None
    return df


def _read_json(data: bytes, path: Path) -> pd.DataFrame:
    text_start = data.lstrip()[:1]
    if text_start == b"[":
        try:
            records = json.loads(data)
        except json.JSONDecodeError as exc:
            raise DataValidationError(path, f"invalid JSON ({exc.msg}, line {exc.lineno})",
                                      expected="a JSON array of objects or JSON lines") from None
        return pd.DataFrame.from_records(records)
    try:
        # dtype=False keeps ids like "0001384719" text; dates are parsed by the validators
        return pd.read_json(io.BytesIO(data), lines=True, dtype=False, convert_dates=False)
    except ValueError:
        pass
    # pandas does not say which line broke: find it, so the user can fix it
    for i, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataValidationError(path, f"invalid JSON line ({exc.msg})", rows=[i],
                                      examples=[line[:60].decode("utf-8", "replace")],
                                      expected="one JSON object per line") from None
        if not isinstance(obj, dict):
            raise DataValidationError(path, "JSON line is not an object", rows=[i],
                                      examples=[line[:60].decode("utf-8", "replace")],
                                      expected="one JSON object per line, e.g. {\"customer_id\": \"C1\", ...}")
    raise DataValidationError(path, "could not read JSON lines", expected="one JSON object per line")


def read_raw(path: str | Path, *, encoding: str | None = None) -> pd.DataFrame:
    """The file's rows and columns as they are (text columns as text), indexed by 1-based data row."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    kind, gz = file_format(path)
    data = _read_bytes(path, kind, gz)
    if kind == "parquet":
        try:
            df = pd.read_parquet(io.BytesIO(data))
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise DataValidationError(path, f"damaged Parquet file ({type(exc).__name__}: {exc})",
                                      expected="a complete Parquet file") from None
    else:
        data = _to_utf8(data, path, encoding, header_lines=1 if kind in ("csv", "tsv") else 0)
        if not data.strip():
            raise DataValidationError(path, "empty file (only whitespace)",
                                      expected="a header row and at least one data row")
        df = _read_delimited(data, path, "\t" if kind == "tsv" else ",") if kind != "json" else _read_json(data, path)
    df.columns = [str(c).strip() for c in df.columns]
    df.index = pd.RangeIndex(1, len(df) + 1)
    # blank lines (often a trailing one) are not rows a person means; their numbers stay out of messages
    df = df.dropna(how="all") if len(df.columns) else df
    if len(df) == 0:
        cols = ", ".join(df.columns) if len(df.columns) else "none"
        raise DataValidationError(path, f"empty file: a header but no data rows (columns: {cols})",
                                  expected="at least one data row")
    return df


def parse_mapping(items: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["amount=dollar_value", "orders.timestamp=date"]`` → ``{"amount": "dollar_value", ...}`` (canonical=source).

    A canonical name may be qualified with its table (``orders.amount``) when files share column names.
    """
    if items is None:
        return {}
    if isinstance(items, Mapping):
        return {str(k).strip(): str(v).strip() for k, v in items.items()}
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--map {item!r}: expected canonical=source, e.g. --map amount=dollar_value")
        k, v = item.split("=", 1)
        k, v = k.strip(), v.strip()
        if not k or not v:
            raise ValueError(f"--map {item!r}: expected canonical=source, e.g. --map amount=dollar_value")
        out[k] = v
    return out


def apply_mapping(df: pd.DataFrame, mapping: Mapping[str, str], table: str, canonical: Iterable[str]) -> tuple[
        pd.DataFrame, set[str]]:
    """Rename source columns to canonical names; also match canonical names case- and space-insensitively.

    Returns the renamed frame and the mapping keys used (so unused ``--map`` entries can be reported).
    """
    canonical = list(canonical)
    rename: dict[str, str] = {}
    used: set[str] = set()
    for key, source in mapping.items():
        tbl, _, col = key.rpartition(".")
        if tbl and tbl != table:
            continue
        if source in df.columns and (tbl or col in canonical or not canonical):
            rename[source] = col
            used.add(key)
    renamed = set(rename.values())
    norm = {str(c).lower().replace(" ", "_").replace("-", "_"): c for c in df.columns}
    for col in canonical:
        if col not in df.columns and col not in renamed and col in norm and norm[col] not in rename:
            rename[norm[col]] = col
    auto: dict[str, str] = {}
    for col in canonical:  # common names ("customer", "date", "sales_value"): only one candidate, never a guess
        if col in df.columns or col in set(rename.values()):
            continue
        hits = [norm[n] for n in COLUMN_SYNONYMS.get(col, ()) if n in norm and norm[n] not in rename
                and norm[n] not in canonical]
        if len(hits) == 1:
            rename[hits[0]] = auto[hits[0]] = col
    if rename:
        # a mapped column replaces a same-named one it would collide with
        clash = [c for c in rename.values() if c in df.columns and c not in rename]
        df = df.drop(columns=clash).rename(columns=rename)
    if auto:
        df.attrs["auto_mapped"] = auto
    return df, used
