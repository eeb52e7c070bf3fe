"""Field work (巡查走访, 一户一档): patrols with their tracks, visits, special-population follow-ups
(帮教) and the audit of door-to-door registration (入户登记).

Cases found on a patrol are linked from the disputes side (`disputes.Case.patrol`): this app
imports no other app.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NOTE_MAX = 500


class Patrol(models.Model):
    """A grid worker's walk through their grid (巡查). One that found nothing is still a record."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("巡查人"), on_delete=models.PROTECT, related_name="patrols"
    )
    grid = models.ForeignKey("grids.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="patrols")
    # Copy of grid.path: scoping and the figures are one indexed prefix query without a join.
    area_path = models.CharField(max_length=255, editable=False)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    nothing_found = models.BooleanField(_("未发现问题"), default=False)
    note = models.CharField(_("巡查记录"), max_length=NOTE_MAX, blank=True)
    distance_m = models.PositiveIntegerField(_("里程(米)"), default=0)
    # Kept by the disputes services when a case is reported on this patrol (grids cannot count them).
    case_count = models.PositiveIntegerField(_("上报事项数"), default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("巡查")
        verbose_name_plural = _("巡查")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["area_path", "-started_at"], name="patrol_area_started"),
            models.Index(fields=["area_path"], name="patrol_area_path_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["started_at"], name="patrol_started"),
            models.Index(fields=["worker", "-started_at"], name="patrol_worker_started"),
            models.Index(fields=["grid", "started_at"], name="patrol_grid_started"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["worker"], condition=Q(ended_at__isnull=True), name="patrol_one_open"),
            # An offline phone may send the same patrol twice: it is recorded once.
            models.UniqueConstraint(fields=["worker", "started_at"], name="patrol_once_per_start"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")), name="patrol_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grid} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    @property
    def open(self) -> bool:
        return self.ended_at is None

    @property
    def duration(self) -> timedelta | None:
        return (self.ended_at - self.started_at) if self.ended_at else None

    @property
    def duration_minutes(self) -> int | None:
        d = self.duration
        return None if d is None else int(d.total_seconds() // 60)


class PatrolPoint(models.Model):
    """One GPS fix of a patrol's track. A batch sent twice adds nothing (unique moment)."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points")
    lat = models.FloatField()
    lng = models.FloatField()
    at = models.DateTimeField()
    accuracy = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("轨迹点")
        verbose_name_plural = _("轨迹点")
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["patrol", "at"], name="patrol_point_once")]

    def __str__(self) -> str:
        return f"{self.lat:.5f},{self.lng:.5f}"


class VisitPurpose(models.TextChoices):
    ROUTINE = "routine", _("日常走访")
    FOLLOW_UP = "follow_up", _("特殊人群帮教回访")
    DISPUTE_CHECK = "dispute_check", _("矛盾纠纷排查")
    POLICY = "policy", _("政策宣传解释")


class Visit(models.Model):
    """A visit (走访) to a household or a resident, on a patrol or on its own."""

    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人"), on_delete=models.PROTECT, related_name="visits"
    )
    patrol = models.ForeignKey(
        Patrol, verbose_name=_("巡查"), null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    household = models.ForeignKey(
        "grids.Household", verbose_name=_("户"), null=True, blank=True, on_delete=models.CASCADE, related_name="visits"
    )
    resident = models.ForeignKey(
        "grids.Resident", verbose_name=_("居民"), null=True, blank=True, on_delete=models.CASCADE, related_name="visits"
    )
    area_path = models.CharField(max_length=255, editable=False)
    purpose = models.CharField(_("走访目的"), max_length=16, choices=VisitPurpose.choices, default=VisitPurpose.ROUTINE)
    note = models.CharField(_("走访记录"), max_length=NOTE_MAX, blank=True)
    visited_at = models.DateTimeField(_("走访时间"), default=timezone.now)
    photo = models.FileField(_("照片"), upload_to="visits/%Y/%m/", blank=True)
    photo_type = models.CharField(max_length=40, blank=True, editable=False)

    class Meta:
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["area_path", "-visited_at"], name="visit_area_visited"),
            models.Index(fields=["household", "-visited_at"], name="visit_household"),
            models.Index(fields=["resident", "-visited_at"], name="visit_resident"),
            models.Index(fields=["patrol", "visited_at"], name="visit_patrol"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(household__isnull=False) | Q(resident__isnull=False), name="visit_has_someone"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {timezone.localtime(self.visited_at):%Y-%m-%d}"


class FollowUp(models.Model):
    """A special-population person under follow-up (帮教): a helper and a visit frequency.

    `next_due_at` is the moment the next follow-up visit is due; the sweep warns once per lapse.
    """

    resident = models.OneToOneField(
        "grids.Resident", verbose_name=_("帮教对象"), on_delete=models.CASCADE, related_name="follow_up"
    )
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("帮教责任人"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    frequency_days = models.PositiveSmallIntegerField(_("走访周期(天)"), default=30)
    area_path = models.CharField(max_length=255, editable=False)
    last_visit_at = models.DateTimeField(_("最近走访"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("下次走访截止"))
    active = models.BooleanField(_("在帮教"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("帮教对象")
        verbose_name_plural = _("帮教对象")
        ordering = ["next_due_at", "id"]
        indexes = [
            models.Index(fields=["next_due_at"], name="followup_due", condition=Q(active=True)),
            models.Index(fields=["area_path", "next_due_at"], name="followup_area_due", condition=Q(active=True)),
            models.Index(fields=["helper", "next_due_at"], name="followup_helper_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency_days__gte=1, frequency_days__lte=366), name="followup_frequency_range"
            )
        ]

    def __str__(self) -> str:
        return str(self.resident)

    @property
    def overdue(self) -> bool:
        return self.active and self.next_due_at < timezone.now()


class FollowUpLapse(models.Model):
    """A follow-up visit that fell overdue. The unique row makes the warning go out exactly once."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="lapses")
    due_at = models.DateTimeField()
    warned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("帮教逾期")
        verbose_name_plural = _("帮教逾期")
        constraints = [models.UniqueConstraint(fields=["follow_up", "due_at"], name="followup_lapse_once")]

    def __str__(self) -> str:
        return f"{self.follow_up_id} {self.due_at:%Y-%m-%d}"


class ChangeAction(models.TextChoices):
    HOUSEHOLD_ADD = "household_add", _("新建户")
    HOUSEHOLD_EDIT = "household_edit", _("更正户信息")
    RESIDENT_ADD = "resident_add", _("登记居民")
    RESIDENT_EDIT = "resident_edit", _("更正居民信息")


class RegistrationChange(models.Model):
    """One change made at the door (入户登记): who changed what, when. Identifiers are stored masked."""

    household = models.ForeignKey(
        "grids.Household", null=True, blank=True, on_delete=models.CASCADE, related_name="changes"
    )
    resident = models.ForeignKey(
        "grids.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="changes"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registration_changes")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=16, choices=ChangeAction.choices)
    # {field name: [before, after]}; ID numbers and phones masked.
    changes = models.JSONField(default=dict)
    area_path = models.CharField(max_length=255, editable=False)

    class Meta:
        verbose_name = _("登记变更")
        verbose_name_plural = _("登记变更")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["household", "-at"], name="regchange_household"),
            models.Index(fields=["area_path", "-at"], name="regchange_area"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"
