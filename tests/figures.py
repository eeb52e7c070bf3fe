"""Figures that tests report for CI's log (issue 18: each CI item prints its figure).

A test calls `report("scope matrix: ...")`; tests/conftest.py's `pytest_terminal_summary` prints
every line at the end of the run, so the figure shows in `make test` without `-s`.
"""

from __future__ import annotations

LINES: list[str] = []


def report(line: str) -> None:
    LINES.append(line)
