"""grids/exports.py: the one writer of user-entered text into spreadsheets."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from grids.exports import append_row, safe_cell
from tests.hostile import FORMULAS, PAYLOADS, workbook_problems, workbook_texts


@pytest.mark.parametrize("payload", FORMULAS)
def test_formula_triggers_are_written_as_quoted_text(payload):
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", [0, -2, 3.5, Decimal("-1.5"), date(2026, 11, 30), None, True, "—", "正常文字", "a=b"])
def test_numbers_dates_and_plain_text_are_unchanged(value):
    assert safe_cell(value) == value


def test_control_characters_xml_cannot_hold_are_dropped():
    assert safe_cell("a\x00b\x1bc\x0bd") == "abcd"
    assert safe_cell("line\nbreak\ttab") == "line\nbreak\ttab"


def test_a_workbook_of_payloads_has_no_formula_and_keeps_the_text():
    wb = Workbook()
    ws = wb.active
    append_row(ws, ["header", 1])
    for payload in PAYLOADS:
        append_row(ws, [payload, -2, date(2026, 1, 1)])
    append_row(ws, [])
    buffer = io.BytesIO()
    wb.save(buffer)  # a control character would raise IllegalCharacterError here
    content = buffer.getvalue()
    assert workbook_problems(content) == []
    texts = workbook_texts(content)
    assert "'=cmd|' /C calc'!A0" in texts and "<script>alert(1)</script>" in texts and "ab" in texts


def test_the_check_itself_catches_a_formula():
    """openpyxl writes a str starting with '=' as a formula: the helper the export tests use sees it."""
    wb = Workbook()
    wb.active.append(["=1+1", "+1"])
    buffer = io.BytesIO()
    wb.save(buffer)
    assert len(workbook_problems(buffer.getvalue())) == 2
