"""A report as an XLSX workbook, headers in the active language."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from grids.exports import append_row

from ..models import Report
from .labels import COUNT_LABELS, EXTENSION_LABELS, RATE_KEYS, RATE_LABELS, SATISFACTION_LABELS
from .periods import REPORT_TZ


def report_xlsx(report: Report) -> bytes:
    """The report as a workbook: summary, categories, overdue departments, returns and extensions,
    and for the monthly report the town and department rankings. Headers in the active language."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    figures = report.data.get("figures", {})
    ranking = report.data.get("ranking")
    percent = "0.0%"
    bold = Font(bold=True)
    workbook = Workbook()

    def sheet(title: str, headers: Sequence[str], rows: Iterable[Sequence], *, first: bool = False):
        ws = workbook.active if first else workbook.create_sheet()
        ws.title = title[:31]
        append_row(ws, [str(h) for h in headers])
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            append_row(ws, ["—" if value is None else value for value in row])
        for index, header in enumerate(headers, start=1):
            ws.column_dimensions[get_column_letter(index)].width = max(12, 2 * len(str(header)) + 4)
        ws.freeze_panes = "A2"
        return ws

    def rate_rows(rates: dict, keys: Sequence[str]) -> list[list]:
        return [
            [str(RATE_LABELS[key]), rates[key]["rate"], rates[key]["numerator"], rates[key]["denominator"]]
            for key in keys
        ]

    def format_percent(ws, columns: Sequence[int]) -> None:
        for row in ws.iter_rows(min_row=2):
            for column in columns:
                if isinstance(row[column - 1].value, float | int):
                    row[column - 1].number_format = percent

    local_created = timezone.localtime(report.created_at, REPORT_TZ)
    summary = sheet(
        _("概况"),
        [_("指标"), _("数值"), _("分子"), _("分母")],
        [
            [_("区域"), report.area.name],
            [_("报表类型"), str(report.get_kind_display())],
            [_("周期"), f"{report.period_start:%Y-%m-%d} — {report.period_last_day:%Y-%m-%d} ({report.period_label})"],
            [_("生成时间"), f"{local_created:%Y-%m-%d %H:%M}"],
            *[[str(COUNT_LABELS[key]), value] for key, value in figures.get("counts", {}).items()],
        ],
        first=True,
    )
    first_rate_row = summary.max_row + 1
    for row in rate_rows(
        figures.get("rates", {}), [k for k in (*RATE_KEYS, "on_time") if k in figures.get("rates", {})]
    ):
        append_row(summary, ["—" if value is None else value for value in row])
    for (cell,) in summary.iter_rows(min_row=first_rate_row, min_col=2, max_col=2):
        if isinstance(cell.value, float | int):
            cell.number_format = percent
    satisfaction = figures.get("satisfaction", {})
    for value, label in SATISFACTION_LABELS.items():
        append_row(summary, [_("回访:%(answer)s") % {"answer": label}, satisfaction.get(value, 0)])
    if ranking:
        append_row(summary, [_("权重(响应率/解决率/满意率)"), " / ".join(f"{w:g}" for w in ranking["weights"])])

    sheet(
        _("分类"),
        [_("排名"), _("分类"), _("新增事项")],
        [[index, row["name"], row["count"]] for index, row in enumerate(figures.get("categories", []), start=1)],
    )
    sheet(
        _("超期部门"),
        [_("部门"), _("红灯督办次数"), _("涉及事项")],
        [[row["name"], row["alerts"], row["cases"]] for row in figures.get("overdue_departments", [])],
    )
    returns = sheet(
        _("退单与延期"),
        [_("部门"), _("退单次数")],
        [[row["name"], row["count"]] for row in figures.get("returns", [])],
    )
    append_row(returns, [])
    append_row(returns, [_("延期"), _("数量")])
    returns.cell(row=returns.max_row, column=1).font = bold
    returns.cell(row=returns.max_row, column=2).font = bold
    for key, value in figures.get("extensions", {}).items():
        append_row(returns, [str(EXTENSION_LABELS[key]), value])

    if ranking:
        rate_headers = [str(RATE_LABELS[key]) for key in RATE_KEYS]
        towns = sheet(
            _("镇街排名"),
            [_("排名"), _("镇街"), _("综合得分"), *rate_headers],
            [
                [row["rank"], row["name"], row["score"], *(row["rates"][key]["rate"] for key in RATE_KEYS)]
                for row in ranking["towns"]
            ],
        )
        format_percent(towns, [4, 5, 6])
        departments = sheet(
            _("部门排名"),
            [_("排名"), _("部门"), _("服务区域"), _("综合得分"), *rate_headers],
            [
                [row["rank"], row["name"], row["area"], row["score"], *(row["rates"][key]["rate"] for key in RATE_KEYS)]
                for row in ranking["departments"]
            ],
        )
        format_percent(departments, [5, 6, 7])

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
