"""Hostile text for the tests that type it into every free-text field, page and export.

Markup that would run if a page printed it raw, spreadsheet formulas (half- and full-width, and
behind a tab or carriage return), an RTL override, emoji and a control character that XML cannot
hold. The NUL byte is tested apart: PostgreSQL refuses it, so it must be refused at the door.
"""

from __future__ import annotations

import io

from openpyxl import load_workbook

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
MARKUP = (SCRIPT, IMG)
FORMULAS = (
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(1)",
)
OTHER = ("\u202egnp.exe", "😀🏠👩‍👩‍👧", "a\x1bb")
PAYLOADS = MARKUP + FORMULAS + OTHER
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def workbook_problems(content: bytes) -> list[str]:
    """Every cell of an XLSX that is a formula, or text a spreadsheet program would evaluate."""
    problems = []
    for ws in load_workbook(io.BytesIO(content)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    problems.append(f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}")
                elif isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                    problems.append(f"{ws.title}!{cell.coordinate} starts with a formula trigger: {cell.value!r}")
    return problems


def workbook_texts(content: bytes) -> list[str]:
    return [
        cell.value
        for ws in load_workbook(io.BytesIO(content)).worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
