"""The chat's compact tables: an answer's markdown tables cut to a few columns with numbers formatted as a
reader expects (currency "$2,158.93", percentages "12.3%", dates "2017-12-31") and headers in words; the
evidence pane beside the chat keeps the full table. Pure functions, no gradio import."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MAX_CHAT_COLUMNS", "MAX_EVIDENCE_COLUMNS", "header_words", "format_cell", "compact_markdown_tables",
           "evidence_columns", "column_widths", "NOWRAP_CSS"]

MAX_CHAT_COLUMNS = 4
MAX_EVIDENCE_COLUMNS = 6  # what fits the evidence pane at 1024 px without a horizontal scroll

_HEADER_WORDS = {"customer_id": "customer", "segment_id": "segment", "share_pct": "share", "p_buy": "P(buy)",
                 "p_buy_30d": "P(buy) 30 d", "n": "count", "avg_basket": "avg basket", "order_id": "order",
                 "review_id": "review", "product_id": "product"}
_MONEY = ("revenue", "amount", "spend", "basket", "price", "value", "sales", "aov")
_PCT = ("pct", "share", "rate", "p_buy", "percent", "%")
_ISO_TS = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?(e-?\d+)?$")


def header_words(name: str) -> str:
    """``share_pct`` → "share", ``customer_id`` → "customer"; other snake_case names become words."""
    key = str(name).strip()
    if key in _HEADER_WORDS:
        return _HEADER_WORDS[key]
    return key.replace("_", " ")


def _is_pct_column(header: str) -> bool:
    h = header.lower()
    return any(k in h for k in _PCT)


def _is_money_column(header: str) -> bool:
    h = header.lower()
    return any(k in h for k in _MONEY) and not _is_pct_column(h)


def format_cell(header: str, value: Any) -> str:
    """One cell as text: ISO timestamps cut to the date, bare numbers formatted by what the column holds
    (money, percent — a fraction ≤ 1 when the column is not already in percent — or a plain number); text that
    is already formatted ("$12.00", "12%") is left alone."""
    if value is None:
        return "—"
    s = str(value).strip()
    m = _ISO_TS.match(s)
    if m:
        return m.group(1)
    if not _NUMBER.match(s):
        return s
    x = float(s)
    if x != x:
        return "—"
    if _is_pct_column(header):
        in_pct = "pct" in header.lower() or "%" in header or abs(x) > 1
        return f"{x:.1f}%" if in_pct else f"{100 * x:.1f}%"
    if _is_money_column(header):
        return f"${x:,.2f}"
    if "." not in s and "e" not in s:
        return f"{int(x):,}" if abs(x) >= 10000 else s  # ids and years keep their digits
    return f"{x:,.2f}" if abs(x) >= 100 else f"{x:.3g}"


def _split_row(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|"):
        body = body[:-1]
    return [c.strip() for c in body.split("|")]


_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _compact_table(lines: list[str], max_cols: int) -> list[str]:
    headers = _split_row(lines[0])
    rows = [_split_row(line) for line in lines[2:]]
    keep = min(len(headers), max_cols)
    out_headers = [header_words(h) for h in headers[:keep]]
    out = ["| " + " | ".join(out_headers) + " |", "|" + "---|" * keep]
    for row in rows:
        cells = (row + [""] * keep)[:keep]
        out.append("| " + " | ".join(format_cell(headers[i], c) for i, c in enumerate(cells)) + " |")
    if len(headers) > keep:
        dropped = ", ".join(header_words(h) for h in headers[keep:])
        out.append("")
        out.append(f"_More columns ({dropped}) in the evidence pane →_")
    return out


def compact_markdown_tables(text: str, max_cols: int = MAX_CHAT_COLUMNS) -> str:
    """Every markdown table in ``text`` cut to its first ``max_cols`` columns, cells formatted, headers in
    words (a note names the columns left to the evidence pane); everything else is kept as written."""
    lines = str(text or "").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "|" in line and i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1]) and line.strip():
            j = i + 2
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                j += 1
            out += _compact_table(lines[i:j], max_cols)
            i = j
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def evidence_columns(columns: list[str], max_cols: int = MAX_EVIDENCE_COLUMNS) -> tuple[list[str], list[str]]:
    """The columns the evidence table shows (the renderer's first ``max_cols``: they come in order of
    importance) and the ones left to the CSV download, so the table fits the pane instead of scrolling."""
    cols = [str(c) for c in columns]
    return cols[:max_cols], cols[max_cols:]


def column_widths(frame: Any) -> list[str]:
    """Percent widths for the evidence table's columns: each column gets room for its longest word (a cell
    never breaks inside a word) plus a share of its typical text, so long text wraps instead of widening the
    table past the pane."""
    weights = []
    for col in frame.columns:
        texts = [str(v) for v in frame[col].head(200).tolist()]
        # a header is bold and carries the sort button: two characters more than body text
        longest = max([len(w) for t in texts for w in t.split()] + [len(w) + 2 for w in str(col).split()] + [1])
        typical = sorted(len(t) for t in texts)[len(texts) // 2] if texts else 0
        # room for the longest word and the cell's padding, plus a share of long text (which then wraps)
        weights.append(longest + 3 + max(0.0, min(typical, 40) - longest) / 3)
    total = sum(weights) or 1.0
    return [f"{100 * w / total:.2f}%" for w in weights]


# cells never break inside a word or number: chat tables (at most 4 columns) keep each cell on one line; the
# evidence pane's tables and the model card wrap between words, so they fit the pane without a horizontal scroll
NOWRAP_CSS = """
#chat table { display: block; overflow-x: auto; max-width: 100%; }
#chat table th, #chat table td { white-space: nowrap; word-break: normal; overflow-wrap: normal; }
[id^="evidence-table"] table, #evidence-card table, #evidence-md table { table-layout: auto; }
[id^="evidence-table"] [role=gridcell], [id^="evidence-table"] [role=gridcell] *,
[id^="evidence-table"] th, [id^="evidence-table"] th *,
#evidence-card th, #evidence-card td, #evidence-md th, #evidence-md td { word-break: normal !important;
  overflow-wrap: normal !important; hyphens: none; }
[id^="evidence-table"] [role=gridcell] *, [id^="evidence-table"] th * { font-family: var(--font) !important;
  font-variant-numeric: tabular-nums; }
[id^="evidence-plot"] .altair, [id^="evidence-plot"] .altair > div { width: 100%; align-self: stretch; }
[id^="evidence-plot"] .altair canvas { padding: 0 !important; }
"""
