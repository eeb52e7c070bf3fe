"""Cases (事项) and the dispatch workflow "中心吹哨、部门报到"."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from grids.models import Area, Department, DepartmentKind, Resident


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    EMERGENCY = "emergency", _("特急")


class Kind(models.TextChoices):
    INCIDENT = "incident", _("事件")
    HAZARD = "hazard", _("隐患")
    DISPUTE = "dispute", _("矛盾纠纷")
    REQUEST = "request", _("诉求")
    COMPLAINT = "complaint", _("投诉")


class Source(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员上报")
    RESIDENT = "resident", _("群众反映")
    HOTLINE = "hotline", _("热线")
    PATROL = "patrol", _("巡查")
    OPEN311 = "open311", _("Open311")


class Status(models.TextChoices):
    REPORTED = "reported", _("已上报")
    ACCEPTED = "accepted", _("已受理")
    DISPATCHED = "dispatched", _("已派单")
    IN_PROGRESS = "in_progress", _("办理中")
    HANDLED = "handled", _("已办结")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")


OPEN_STATUSES = [
    Status.REPORTED,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.HANDLED,
    Status.VERIFIED,
]

# Escalated (上报区中心): a case of a town now held by a center other than its town's.
ESCALATED = Q(town__isnull=False) & ~Q(center_id=F("town_id"))
FINAL_STATUSES = [Status.CLOSED, Status.REJECTED, Status.MERGED]


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class Category(models.Model):
    """A case category with its usual departments and time limits per urgency."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("默认类型"), max_length=16, choices=Kind.choices, default=Kind.INCIDENT)
    usual_department_kinds = models.ManyToManyField(
        DepartmentKind, verbose_name=_("常用派单部门类型"), blank=True, related_name="categories"
    )
    sign_hours_normal = models.DecimalField(_("一般件签收时限(工作小时)"), max_digits=5, decimal_places=1, default=7)
    sign_hours_urgent = models.DecimalField(_("紧急件签收时限(工作小时)"), max_digits=5, decimal_places=1, default=2)
    sign_hours_emergency = models.DecimalField(_("特急件签收时限(工作小时)"), max_digits=5, decimal_places=1, default=1)
    handle_days_normal = models.PositiveSmallIntegerField(_("一般件办理时限(工作日)"), default=5)
    handle_days_urgent = models.PositiveSmallIntegerField(_("紧急件办理时限(工作日)"), default=3)
    handle_days_emergency = models.PositiveSmallIntegerField(_("特急件办理时限(工作日)"), default=1)
    # The center's own clocks (五个第一时间), in working hours: accept from report, verify from
    # handled, feedback from verified.
    accept_hours_normal = models.DecimalField(_("一般件受理时限(工作小时)"), max_digits=5, decimal_places=1, default=4)
    accept_hours_urgent = models.DecimalField(_("紧急件受理时限(工作小时)"), max_digits=5, decimal_places=1, default=1)
    accept_hours_emergency = models.DecimalField(
        _("特急件受理时限(工作小时)"), max_digits=5, decimal_places=1, default=0.5
    )
    verify_hours_normal = models.DecimalField(_("一般件核查时限(工作小时)"), max_digits=5, decimal_places=1, default=14)
    verify_hours_urgent = models.DecimalField(_("紧急件核查时限(工作小时)"), max_digits=5, decimal_places=1, default=7)
    verify_hours_emergency = models.DecimalField(
        _("特急件核查时限(工作小时)"), max_digits=5, decimal_places=1, default=2
    )
    feedback_hours_normal = models.DecimalField(
        _("一般件回访时限(工作小时)"), max_digits=5, decimal_places=1, default=21
    )
    feedback_hours_urgent = models.DecimalField(
        _("紧急件回访时限(工作小时)"), max_digits=5, decimal_places=1, default=14
    )
    feedback_hours_emergency = models.DecimalField(
        _("特急件回访时限(工作小时)"), max_digits=5, decimal_places=1, default=7
    )
    active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("事项分类")
        verbose_name_plural = _("事项分类")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sign_hours_normal__gt=0, sign_hours_urgent__gt=0, sign_hours_emergency__gt=0)
                & Q(handle_days_normal__gt=0, handle_days_urgent__gt=0, handle_days_emergency__gt=0),
                name="category_limits_positive",
            ),
            models.CheckConstraint(
                condition=Q(accept_hours_normal__gt=0, accept_hours_urgent__gt=0, accept_hours_emergency__gt=0)
                & Q(verify_hours_normal__gt=0, verify_hours_urgent__gt=0, verify_hours_emergency__gt=0)
                & Q(feedback_hours_normal__gt=0, feedback_hours_urgent__gt=0, feedback_hours_emergency__gt=0),
                name="category_center_limits_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def sign_hours(self, urgency: str) -> float:
        return float(getattr(self, f"sign_hours_{urgency}"))

    def handle_days(self, urgency: str) -> int:
        return int(getattr(self, f"handle_days_{urgency}"))

    def center_hours(self, clock: str, urgency: str) -> float:
        """The limit of a center clock (accept, verify, feedback) in working hours."""
        return float(getattr(self, f"{clock}_hours_{urgency}"))


class WorkCalendarDay(models.Model):
    """An official holiday or make-up workday (调休) entered by admins.

    Overrides and extends the chinese-calendar package: the State Council publishes next year's
    holidays each November, before the package knows them.
    """

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是工作日"), help_text=_("勾选表示调休上班日;不勾选表示放假日"))
    note = models.CharField(_("说明"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'holiday'}"


class CaseNumberSequence(models.Model):
    """Per-day counter behind case numbers; numbers are never reused."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Case(models.Model):
    number = models.CharField(_("编号"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.INCIDENT)
    # The foreign keys category, town, reporter and center need no index of their own: each leads a
    # composite index below (case_category_created, case_town_created, case_reporter_created,
    # case_center_status), and every index is written again when the sweep lapses a case.
    category = models.ForeignKey(
        Category, verbose_name=_("分类"), on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    title = models.CharField(_("标题"), max_length=120, blank=True)
    description = models.TextField(_("描述"), max_length=2000, validators=[MaxLengthValidator(2000)])
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    area = models.ForeignKey(Area, verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="cases")
    # Copies of the area's position, so scoping and grouping are single-column indexed filters.
    area_path = models.CharField(max_length=255, editable=False)
    town = models.ForeignKey(
        Area, null=True, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    urgency = models.CharField(_("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.GRID_WORKER)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        on_delete=models.PROTECT,
        related_name="reported_cases",
        db_index=False,
    )
    involved_people = models.TextField(_("涉及人员"), max_length=500, blank=True, validators=[MaxLengthValidator(500)])
    involved_residents = models.ManyToManyField(Resident, verbose_name=_("涉及居民"), blank=True)
    # The patrol (巡查) on which the grid worker found this case, if any.
    patrol = models.ForeignKey(
        "grids.Patrol", verbose_name=_("巡查"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REPORTED)
    center = models.ForeignKey(
        Area,
        verbose_name=_("责任中心"),
        on_delete=models.PROTECT,
        related_name="center_cases",
        help_text=_("镇街综治中心,上报后为区级社会治理中心"),
        db_index=False,
    )
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates")
    satisfaction = models.CharField(_("满意度"), max_length=24, choices=Satisfaction.choices, blank=True)
    # 无法回访: closed without feedback because the resident could not be reached (counted apart).
    feedback_unreachable = models.BooleanField(_("无法回访"), default=False)
    sign_deadline = models.DateTimeField(_("签收期限"), null=True, blank=True)
    handle_deadline = models.DateTimeField(_("办理期限"), null=True, blank=True)
    next_deadline_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue = models.BooleanField(_("已超期"), default=False)
    return_count = models.PositiveIntegerField(_("退单次数"), default=0)
    created_at = models.DateTimeField(_("上报时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    dispatched_at = models.DateTimeField(null=True, blank=True, editable=False)
    handled_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("事项")
        verbose_name_plural = _("事项")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["area_path", "-created_at"], name="case_area_created"),
            # Subtree queries are `area_path LIKE 'prefix%'`, which needs pattern ops under a non-C collation.
            models.Index(fields=["area_path"], name="case_area_path_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["center", "status", "-created_at"], name="case_center_status"),
            models.Index(fields=["status", "-created_at"], name="case_status_created"),
            models.Index(fields=["town", "created_at"], name="case_town_created"),
            models.Index(fields=["reporter", "-created_at"], name="case_reporter_created"),
            models.Index(fields=["category", "created_at", "lat"], name="case_category_created"),
            models.Index(
                fields=["next_deadline_at"], name="case_next_deadline", condition=Q(next_deadline_at__isnull=False)
            ),
            models.Index(fields=["overdue", "-created_at"], name="case_overdue", condition=Q(overdue=True)),
            # Time ranges the dashboard and the reports count over (each bounded by its period).
            models.Index(fields=["created_at"], name="case_created"),
            models.Index(fields=["closed_at"], name="case_closed", condition=Q(closed_at__isnull=False)),
            models.Index(fields=["handled_at"], name="case_handled", condition=Q(handled_at__isnull=False)),
            models.Index(
                fields=["handle_deadline"], name="case_handle_deadline", condition=Q(handle_deadline__isnull=False)
            ),
            # The open backlog per area ("open now" on the dashboard): only the open cases, by path prefix.
            models.Index(
                fields=["area_path", "overdue"],
                name="case_open_area",
                opclasses=["varchar_pattern_ops", "bool_ops"],
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # The center's queue badges and tabs at any scale (grids.pagination.capped_counts):
            # overdue open cases per center, and what a town escalated to the district.
            models.Index(
                fields=["center", "-created_at"],
                name="case_center_overdue_open",
                condition=Q(overdue=True, status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["town", "-created_at"], name="case_escalated_town", condition=ESCALATED),
            # 无法回访 on the dashboard: the few cases closed without reaching the resident.
            models.Index(fields=["closed_at"], name="case_unreachable_closed", condition=Q(feedback_unreachable=True)),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title or self.category}"

    @property
    def display_title(self) -> str:
        return self.title or (self.description[:30] + ("…" if len(self.description) > 30 else ""))


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """Dispatch grants the assigned department's group view/act permissions on the case."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("主办")
    CO = "co", _("协办")


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("待签收")
    SIGNED = "signed", _("已签收")
    RETURNED = "returned", _("已退单")
    REPORTED = "reported", _("已反馈")
    HANDLED = "handled", _("已办结")


ACTIVE_ASSIGNMENT_STATUSES = [AssignmentStatus.PENDING, AssignmentStatus.SIGNED]


class ReturnReason(models.TextChoices):
    NOT_OUR_DUTY = "not_our_duty", _("非本部门职责")
    WRONG_AREA = "wrong_area", _("不属本辖区")
    INSUFFICIENT_INFO = "insufficient_info", _("信息不全")
    DUPLICATE = "duplicate", _("重复派单")
    OTHER = "other", _("其他")
    # Not a return by the department: the lead returned the case, so the whole dispatch was withdrawn.
    WITHDRAWN = "withdrawn", _("随主办退单撤回")


class Assignment(models.Model):
    """One department's part in a case: lead (主办) or co-department (协办), with its own clocks."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("角色"), max_length=8, choices=AssignmentRole.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    dispatched_at = models.DateTimeField(default=timezone.now)
    sign_deadline = models.DateTimeField(_("签收期限"))
    handle_deadline = models.DateTimeField(_("办理期限"))
    signed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    return_reason_code = models.CharField(max_length=20, choices=ReturnReason.choices, blank=True)
    return_reason = models.TextField(max_length=1000, blank=True, validators=[MaxLengthValidator(1000)])
    result = models.TextField(_("办理结果"), max_length=2000, blank=True, validators=[MaxLengthValidator(2000)])
    overdue = models.BooleanField(default=False)
    # The moments the sweep must look at: 80 % of each limit (yellow) and the limit itself (red).
    sign_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    handle_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    sign_alert = models.CharField(max_length=8, blank=True, editable=False)  # "", "yellow", "red"
    handle_alert = models.CharField(max_length=8, blank=True, editable=False)
    next_deadline_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("派单")
        verbose_name_plural = _("派单")
        ordering = ["case", "role", "id"]
        indexes = [
            models.Index(fields=["department", "status"], name="assignment_dept_status"),
            models.Index(fields=["sign_deadline"], name="assignment_sign_deadline"),
            # Returns per day (the daily roll-up, counted live for today).
            models.Index(
                fields=["finished_at"], name="assignment_returned", condition=Q(status=AssignmentStatus.RETURNED)
            ),
            models.Index(
                fields=["next_deadline_at"],
                name="assignment_next_deadline",
                condition=Q(next_deadline_at__isnull=False),
            ),
        ]
        constraints = [
            # "Active" means still owing work: pending sign-in, or signed and working.
            models.UniqueConstraint(
                fields=["case", "department"],
                condition=Q(status__in=["pending", "signed"]),
                name="assignment_one_active_per_department",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(role="lead", status__in=["pending", "signed"]),
                name="assignment_one_active_lead",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} · {self.department} · {self.get_role_display()}"

    @property
    def active(self) -> bool:
        """Still owes work: waiting to sign in, or signed and working."""
        return self.status in ACTIVE_ASSIGNMENT_STATUSES


class Clock(models.TextChoices):
    SIGN = "sign", _("签收")
    HANDLE = "handle", _("办理")
    # The center's clocks and the supervised department's reply clock (`StageClock`).
    ACCEPT = "accept", _("受理")
    VERIFY = "verify", _("核查")
    FEEDBACK = "feedback", _("回访")
    REPLY = "reply", _("督办回复")


CENTER_CLOCKS = (Clock.ACCEPT, Clock.VERIFY, Clock.FEEDBACK)


class StageClock(models.Model):
    """One run of a clock that is not a department's sign-in or handling clock: the center's
    accept (受理, from report), verify (核查, from handled) and feedback (回访, from verified)
    clocks, and the reply clock of a supervision (督办), which runs against a department.

    A clock starts when its stage begins and stops when the stage ends (`stopped_at`); the sweep
    finds it through `next_deadline_at` (80 %: yellow, the limit: red) like an assignment's."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stage_clocks")
    clock = models.CharField(_("时限"), max_length=8, choices=Clock.choices)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="stage_clocks"
    )
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(_("期限"))
    warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    alert = models.CharField(max_length=8, blank=True, editable=False)  # "", "yellow", "red"
    stopped_at = models.DateTimeField(null=True, blank=True)
    next_deadline_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("环节时限")
        verbose_name_plural = _("环节时限")
        ordering = ["case", "started_at", "id"]
        indexes = [
            models.Index(fields=["case", "clock"], name="stageclock_case_clock"),
            models.Index(
                fields=["next_deadline_at"],
                name="stageclock_next_deadline",
                condition=Q(next_deadline_at__isnull=False),
            ),
            models.Index(fields=["clock", "alert", "deadline"], name="stageclock_lapsed", condition=Q(alert="red")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "clock"], condition=Q(stopped_at__isnull=True), name="stageclock_one_running"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.clock} {self.deadline:%Y-%m-%d %H:%M}"

    @property
    def running(self) -> bool:
        return self.stopped_at is None


class AlertLevel(models.TextChoices):
    YELLOW = "yellow", _("黄灯预警")
    RED = "red", _("红灯超期")


class DeadlineAlert(models.Model):
    """A yellow warning or a red lapse of one clock of one assignment.

    The unique row is what makes escalation happen exactly once: two sweeps at once, or a sweep
    re-run after a crash, cannot insert it twice. A red alert is the supervision notice (督办)
    raised on the department.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts")
    # Looked up through the unique (assignment, clock, level) and the (department, level, created_at)
    # indexes; a mass lapse inserts tens of thousands of alerts, so no index of their own.
    # An assignment's clock (sign, handle), or a stage clock (center clocks: no department; a
    # supervision's reply clock: the supervised department).
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts", db_index=False
    )
    stage_clock = models.ForeignKey(
        StageClock, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts", db_index=False
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts", db_index=False
    )
    clock = models.CharField(_("时限"), max_length=8, choices=Clock.choices)
    level = models.CharField(_("级别"), max_length=8, choices=AlertLevel.choices)
    deadline = models.DateTimeField(_("期限"))
    created_at = models.DateTimeField(default=timezone.now)
    sweep = models.CharField(max_length=32, editable=False)
    escalated_to = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("预警与督办")
        verbose_name_plural = _("预警与督办")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "clock", "level"], name="alert_once_per_clock_and_level"),
            models.UniqueConstraint(
                fields=["stage_clock", "level"],
                condition=Q(stage_clock__isnull=False),
                name="alert_once_per_stage_clock_and_level",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "level", "created_at"], name="alert_department_level"),
            models.Index(fields=["level", "created_at"], name="alert_level_created"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.clock} {self.level}"


class Supervision(models.Model):
    """督办 by hand: an official or a center above the case demands a reply from the lead
    department within `reply_within_hours` working hours (the reply clock, a `StageClock`)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisions")
    department = models.ForeignKey(
        Department, verbose_name=_("被督办部门"), on_delete=models.PROTECT, related_name="supervisions"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("督办意见"), max_length=500)
    reply_within_hours = models.PositiveSmallIntegerField(_("回复时限(工作小时)"))
    created_at = models.DateTimeField(default=timezone.now)
    clock = models.OneToOneField(StageClock, on_delete=models.PROTECT, related_name="supervision")
    reply_note = models.CharField(_("回复内容"), max_length=500, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["department"], name="supervision_open", condition=Q(replied_at__isnull=True)),
            models.Index(fields=["created_at"], name="supervision_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(replied_at__isnull=True), name="supervision_one_open_per_case"
            ),
            models.CheckConstraint(
                condition=Q(reply_within_hours__gte=1, reply_within_hours__lte=240), name="supervision_hours_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.department_id}"

    @property
    def open(self) -> bool:
        return self.replied_at is None


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class ExtensionRequest(models.Model):
    """延期申请 by the lead department, decided by the center."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延期工作日"))
    reason = models.TextField(_("理由"), max_length=1000, validators=[MaxLengthValidator(1000)])
    status = models.CharField(max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(max_length=1000, blank=True, validators=[MaxLengthValidator(1000)])

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="pending"), name="extension_one_pending"),
            models.CheckConstraint(condition=Q(days__gte=1, days__lte=30), name="extension_days_range"),
        ]
        indexes = [
            models.Index(fields=["requested_at"], name="extension_requested"),
            models.Index(fields=["decided_at"], name="extension_decided", condition=Q(decided_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} +{self.days} {self.status}"


class CaseEventKind(models.TextChoices):
    """What a timeline line records. One function per kind in `disputes/events.py` writes it."""

    CREATE = "create", _("上报")
    ACCEPT = "accept", _("受理")
    REJECT = "reject", _("不予受理")
    MERGE = "merge", _("合并重复")
    RESOLVE_ON_SITE = "resolve_on_site", _("就地化解")
    DISPATCH = "dispatch", _("派单(吹哨)")
    SIGN = "sign", _("签收(报到)")
    RETURN = "return", _("退单")
    PROGRESS = "progress", _("办理进展")
    REQUEST_EXTENSION = "request_extension", _("申请延期")
    APPROVE_EXTENSION = "approve_extension", _("批准延期")
    REFUSE_EXTENSION = "refuse_extension", _("不批准延期")
    REPORT = "report", _("协办反馈")
    HANDLE = "handle", _("办结")
    VERIFY = "verify", _("核查通过")
    REWORK = "rework", _("返工")
    FEEDBACK = "feedback", _("回访")
    REOPEN = "reopen", _("重新办理")
    CLOSE = "close", _("结案")
    ESCALATE = "escalate", _("上报区中心")
    RECLASSIFY = "reclassify", _("调整分类")
    DEADLINE_YELLOW = "deadline_yellow", _("黄灯预警")
    DEADLINE_RED = "deadline_red", _("红灯督办")
    SUPERVISE = "supervise", _("督办")
    REPLY = "reply", _("督办回复")


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Case events are immutable.")

    def delete(self):
        raise TypeError("Case events are immutable.")


class CaseEvent(models.Model):
    """One immutable line of a case's timeline: who did what, from which state to which."""

    # No index of its own: event_case_created (case, created_at) serves every lookup by case.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", db_index=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=32, choices=CaseEventKind.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    comment = models.TextField(max_length=2000, blank=True, validators=[MaxLengthValidator(2000)])
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("处置记录")
        verbose_name_plural = _("处置记录")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at"], name="event_case_created"),
            models.Index(fields=["action", "created_at"], name="event_action_created"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Case events are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Case events are immutable.")


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"cases/{instance.case.created_at:%Y/%m}/{instance.case_id}/{instance.token}.{instance.extension}"


class AttachmentPhase(models.TextChoices):
    BEFORE = "before", _("处置前")
    AFTER = "after", _("处置后")


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    # A report's photos show the problem (before); handling, resolving on site and verifying add
    # photos of the result (after).
    phase = models.CharField(_("阶段"), max_length=8, choices=AttachmentPhase.choices, default=AttachmentPhase.BEFORE)
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class StatDay(models.Model):
    """One day of the daily roll-up (`disputes/stats.py`): computed on the first read that needs
    it, and again after any action that changed what happened that day (a `StatDirty` mark).
    Only readers lock these rows; `stale` is set by `rebuild` and by hand, never by an action."""

    day = models.DateField(primary_key=True)
    stale = models.BooleanField(default=False)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("统计日")
        verbose_name_plural = _("统计日")
        ordering = ["day"]

    def __str__(self) -> str:
        return self.day.isoformat()


class StatDirty(models.Model):
    """An append-only mark that a day's roll-up must be counted again (`disputes/stats.py`).

    Actions only INSERT these rows, which locks nothing another writer needs, so writers on
    different cases never queue on a shared row; the reader that recomputes a day deletes the marks
    it saw."""

    id = models.BigAutoField(primary_key=True)
    day = models.DateField(db_index=True)

    class Meta:
        verbose_name = _("统计日变更")
        verbose_name_plural = _("统计日变更")

    def __str__(self) -> str:
        return self.day.isoformat()


class DailyStat(models.Model):
    """The figures of one day for one area at one depth of the territory (towns, villages or grids),
    per category (case figures) or per department (assignment figures). Dashboards and reports sum
    these rows instead of counting years of cases."""

    day = models.DateField()
    depth = models.PositiveSmallIntegerField()  # components of area_path: 2 town, 3 village, 4 grid
    area_path = models.CharField(max_length=255)
    # False: the area's totals for the day. True: split by category or by department (town rows only).
    breakdown = models.BooleanField(default=False)
    category = models.ForeignKey(Category, null=True, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, null=True, on_delete=models.CASCADE, related_name="+")
    new = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    handled = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    resolution_due = models.PositiveIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)
    response_due = models.PositiveIntegerField(default=0)
    response_met = models.PositiveIntegerField(default=0)
    fb_satisfied = models.PositiveIntegerField(default=0)
    fb_basically_satisfied = models.PositiveIntegerField(default=0)
    fb_dissatisfied = models.PositiveIntegerField(default=0)
    red_alerts = models.PositiveIntegerField(default=0)
    returns = models.PositiveIntegerField(default=0)
    ext_requested = models.PositiveIntegerField(default=0)
    ext_approved = models.PositiveIntegerField(default=0)
    ext_refused = models.PositiveIntegerField(default=0)
    # New cases by where they came from (the dashboard's sources block), one column per `Source`.
    src_grid_worker = models.PositiveIntegerField(default=0)
    src_resident = models.PositiveIntegerField(default=0)
    src_hotline = models.PositiveIntegerField(default=0)
    src_patrol = models.PositiveIntegerField(default=0)
    src_open311 = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["depth", "breakdown", "day"], name="stat_depth_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.area_path}"


class OpenCount(models.Model):
    """Open and overdue cases per area right now ("open now" on the dashboard): kept by the services
    and the deadline sweep as cases open, close and lapse; `manage.py rebuild_stats` recounts it."""

    area_path = models.CharField(max_length=255, primary_key=True)
    open_cases = models.IntegerField(default=0)
    overdue_cases = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.area_path} {self.open_cases}/{self.overdue_cases}"


# ---------------------------------------------------------------------------------------------
# Residents in the loop: hotline callers, the public report page and Open311 clients (issue 15)


class CaseContact(models.Model):
    """Who reported a case from outside: the caller of a hotline ticket (12345), a resident on
    /report/, or the submitter of an Open311 request. Private: shown masked to staff who can see
    the case, never on public pages or in Open311 answers."""

    case = models.OneToOneField(Case, primary_key=True, on_delete=models.CASCADE, related_name="contact")
    name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    email = models.EmailField(_("邮箱"), max_length=120, blank=True)
    hotline_ticket = models.CharField(_("热线工单号"), max_length=40, blank=True)
    # The resident's key to /track/{code}/: random, unguessable, unique.
    tracking_code = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    # An Open311 client's handle on its request (GET tokens/{token}).
    open311_token = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    open311_client = models.ForeignKey(
        "Open311Client", null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    sms = models.BooleanField(_("短信告知"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("来电/来件人")
        verbose_name_plural = _("来电/来件人")
        indexes = [
            # A repeat caller's earlier cases, beside the hotline form.
            models.Index(fields=["phone", "-created_at"], name="contact_phone", condition=~Q(phone="")),
        ]
        constraints = [
            # One case per hotline ticket: a ticket logged twice answers with the first case.
            models.UniqueConstraint(
                fields=["hotline_ticket"], condition=~Q(hotline_ticket=""), name="contact_one_case_per_ticket"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}"


class Open311Client(models.Model):
    """A system allowed to POST requests through Open311 GeoReport v2. Only the SHA-256 of its API
    key is stored; the key is shown once, when the client is created."""

    name = models.CharField(_("名称"), max_length=80)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(_("密钥前缀"), max_length=8, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    requests_per_minute = models.PositiveSmallIntegerField(_("每分钟请求上限"), default=30)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("Open311 客户端")
        verbose_name_plural = _("Open311 客户端")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(requests_per_minute__gte=1), name="open311_rate_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash_key(key: str) -> str:
        import hashlib

        return hashlib.sha256(key.encode()).hexdigest()

    def set_key(self, key: str) -> None:
        self.key_hash = self.hash_key(key)
        self.key_hint = key[:4]


class ResidentSms(models.Model):
    """One SMS to the resident who left a phone (at acceptance, at closure). The unique row makes
    it one message per case and moment; the task claims it before sending."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="resident_sms", db_index=False)
    moment = models.CharField(max_length=16)  # "accepted" or "closed"
    key = models.CharField(max_length=60)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "moment"], name="resident_sms_once")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.moment}"


class IntakeKey(models.Model):
    """An `Idempotency-Key` of `POST /api/v1/cases/` (per user): the case it made and a hash of the content
    it was sent with, written in the same transaction as the case (see disputes/idempotency.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    content_hash = models.CharField(max_length=64)
    case = models.ForeignKey(Case, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="intake_key_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"


from .mediation.models import *  # noqa: E402, F403  (dispute mediation: disputes/mediation/)
