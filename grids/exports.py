"""Writing user-entered text into spreadsheets (XLSX, CSV) without letting it become a formula.

A resident's complaint, an area's name or an adviser's firm is typed by someone; a spreadsheet
program evaluates a cell that starts with `=`, `+`, `-` or `@` (and, after a tab or carriage
return, whatever follows), so `=cmd|' /C calc'!A0` in a complaint would run on the reader's
machine when the export is opened. Every export (XLSX; a CSV would use `safe_cell` the same way)
writes its cells through `safe_cell` (text gets a leading `'`, which spreadsheet programs read as
"this is text") and XLSX rows through
`append_row`, which also stores text cells as strings explicitly: openpyxl writes any str that
starts with `=` as a formula. Characters XML cannot hold (control characters) are dropped instead
of failing the whole export.

This lives in `grids`, the lowest layer, so every app's exports share it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

# Half-width and full-width (CJK input methods type these) formula triggers, plus the whitespace
# that spreadsheet programs skip before looking for one.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# What XML 1.0 cannot carry (openpyxl's ILLEGAL_CHARACTERS_RE): C0 controls except tab, LF, CR.
_ILLEGAL = {c: None for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))}
_PASS_THROUGH = (bool, int, float, Decimal, dt.date, dt.datetime, dt.time)


def safe_text(value: str) -> str:
    """`value` as a cell's text: control characters dropped, a formula trigger defused with `'`."""
    text = str(value).translate(_ILLEGAL)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def safe_cell(value):
    """One cell's value: numbers, dates and None unchanged, anything else as neutralised text."""
    if value is None or isinstance(value, _PASS_THROUGH):
        return value
    return safe_text(str(value))


def append_row(ws, values: Iterable) -> None:
    """Append a row to an openpyxl worksheet, every text cell neutralised and typed as a string."""
    from openpyxl.cell.cell import Cell

    cells = []
    for value in values:
        cell = Cell(ws, value=safe_cell(value))
        if isinstance(cell.value, str):
            cell.data_type = "s"  # never "f", whatever openpyxl would infer
        cells.append(cell)
    ws.append(cells)
