"""What governance stores itself: the weekly reports (一周一反馈) and monthly rankings (一月一调度)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Area


class ReportKind(models.TextChoices):
    WEEKLY = "weekly", _("周报")
    MONTHLY = "monthly", _("月度排名")


class Report(models.Model):
    """The figures of one area over one period, frozen when generated.

    The period is the half-open range [period_start, period_end): `period_end` is the first day
    *after* the period (the next Monday, or the 1st of the next month), so the same dates serve
    the queries without a "+1 day". `period_last_day` is what the UI shows.

    Regenerating a period replaces its row (one row per kind, area and start); `created_at` is
    then when the current figures were computed.
    """

    kind = models.CharField(_("类型"), max_length=8, choices=ReportKind.choices)
    area = models.ForeignKey(Area, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="reports")
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期(不含)"))
    data = models.JSONField(_("数据"), default=dict)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("报表")
        verbose_name_plural = _("报表")
        ordering = ["-period_start", "kind", "area__code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "area", "period_start"], name="report_once_per_period"),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")), name="report_period_order"
            ),
        ]
        indexes = [models.Index(fields=["area", "kind", "-period_start"], name="report_area_kind_period")]

    def __str__(self) -> str:
        return f"{self.area} · {self.get_kind_display()} · {self.period_label}"

    @property
    def period_last_day(self) -> date:
        return self.period_end - timedelta(days=1)

    @property
    def period_label(self) -> str:
        """ "2026-W47" for a week, "2026-11" for a month: the form the command and the button take."""
        if self.kind == ReportKind.WEEKLY:
            year, week, _day = self.period_start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.period_start:%Y-%m}"
