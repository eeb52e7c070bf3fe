"""Mediation models. Imported by disputes/models.py (app label `disputes`)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Area, Building, Resident
from grids.validators import validate_id_number, validate_phone

from . import messages as _messages  # noqa: F401  (declares the stored messages of mediation)

__all__ = [
    "OrgKind",
    "DisputeKind",
    "DisputeSource",
    "DisputeStatus",
    "RiskLevel",
    "PartyRole",
    "ReferralTarget",
    "MediationOrg",
    "Mediator",
    "MediationSettings",
    "DisputeNumberSequence",
    "Dispute",
    "Party",
    "MediationSession",
    "Agreement",
    "Referral",
    "FollowUp",
    "EventKind",
    "DisputeEvent",
    "DisputeAlert",
    "ScreeningReport",
]


class OrgKind(models.TextChoices):
    VILLAGE_COMMITTEE = "village_committee", _("村(社区)人民调解委员会")
    TOWN_COMMITTEE = "town_committee", _("镇(街道)人民调解委员会")
    SPECIALISED = "specialised", _("行业性专业性调解委员会")
    COURT_LINK = "court_link", _("诉调对接中心")
    POLICE_ROOM = "police_room", _("警调对接室")
    PETITION = "petition", _("访调对接委员会")
    LAWYER_ROOM = "lawyer_room", _("律师调解室")
    STUDIO = "studio", _("个人调解工作室")


class DisputeKind(models.TextChoices):
    MARRIAGE_FAMILY = "marriage_family", _("婚姻家庭")
    NEIGHBOUR = "neighbour", _("邻里纠纷")
    LAND_PROPERTY = "land_property", _("土地房产")
    LABOUR = "labour", _("劳动与欠薪")
    MEDICAL = "medical", _("医疗纠纷")
    TRAFFIC = "traffic", _("交通事故")
    PROPERTY_MANAGEMENT = "property_management", _("物业纠纷")
    CONSUMER = "consumer", _("消费纠纷")
    SCHOOL = "school", _("校园纠纷")
    ENVIRONMENT = "environment", _("环境纠纷")
    OTHER = "other", _("其他纠纷")


class DisputeSource(models.TextChoices):
    SCREENING = "screening", _("排查发现")
    GRID_WORKER = "grid_worker", _("网格员上报")
    WALK_IN = "walk_in", _("来访")
    PETITION = "petition", _("信访转入")
    COURT_REFERRAL = "court_referral", _("法院委派")
    POLICE_REFERRAL = "police_referral", _("公安移交")


class DisputeStatus(models.TextChoices):
    REPORTED = "reported", _("已登记")
    ASSIGNED = "assigned", _("已指派")
    MEDIATING = "mediating", _("调解中")
    AGREED = "agreed", _("调解成功")
    FAILED = "failed", _("调解不成")
    REFERRED = "referred", _("已移送")
    CLOSED = "closed", _("已结案")


OPEN_DISPUTE_STATUSES = [DisputeStatus.REPORTED, DisputeStatus.ASSIGNED, DisputeStatus.MEDIATING]


class RiskLevel(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")
    MAJOR = "major", _("重大")


RISK_ORDER = [c.value for c in RiskLevel]


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    RESPONDENT = "respondent", _("被申请人")


class ReferralTarget(models.TextChoices):
    COURT = "court", _("人民法院")
    ARBITRATION = "arbitration", _("仲裁机构")
    PETITION = "petition", _("信访部门")
    ADMINISTRATIVE_REVIEW = "administrative_review", _("行政复议")


class MediationOrg(models.Model):
    """A mediation body (调解组织) covering an area and taking some kinds of dispute."""

    code = models.SlugField(_("编码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=24, choices=OrgKind.choices)
    area = models.ForeignKey(Area, verbose_name=_("服务区域"), on_delete=models.PROTECT, related_name="mediation_orgs")
    area_path = models.CharField(max_length=255, editable=False)
    # Dispute kinds it takes; empty means every kind (a people's mediation committee).
    handles = models.JSONField(_("受理纠纷类型"), default=list, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("调解组织")
        verbose_name_plural = _("调解组织")
        ordering = ["area_path", "kind", "code"]
        indexes = [
            models.Index(fields=["area_path"], name="medorg_area_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["kind", "area_path"], name="medorg_kind"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not isinstance(self.handles, list) or any(k not in DisputeKind.values for k in self.handles):
            raise ValidationError({"handles": _('请填写纠纷类型编码的列表,如 ["labour", "medical"]')})

    def takes(self, kind: str) -> bool:
        return not self.handles or kind in self.handles


class Mediator(models.Model):
    """A user who mediates for a body (调解员): the membership that makes the mediator role concrete."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mediator_posts")
    organisation = models.ForeignKey(
        MediationOrg, verbose_name=_("调解组织"), on_delete=models.CASCADE, related_name="mediators"
    )
    full_time = models.BooleanField(_("专职"), default=False)
    qualification = models.CharField(_("资质"), max_length=100, blank=True)
    active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("调解员")
        verbose_name_plural = _("调解员")
        ordering = ["organisation", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="mediator_once_per_org")]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation}"


class MediationSettings(models.Model):
    """The one row of tunable thresholds: risk rules and the dispute time limit (editable in the admin)."""

    deadline_working_days = models.PositiveSmallIntegerField(
        _("调解时限(工作日)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    repeat_days = models.PositiveSmallIntegerField(
        _("重复纠纷统计期(天)"), default=90, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    amount_threshold = models.DecimalField(
        _("大额争议标的(元)"), max_digits=14, decimal_places=2, default=100000, validators=[MinValueValidator(1)]
    )
    group_threshold = models.PositiveIntegerField(_("群体性纠纷人数"), default=10, validators=[MinValueValidator(2)])
    group_major_threshold = models.PositiveIntegerField(
        _("重大群体性纠纷人数"), default=30, validators=[MinValueValidator(2)]
    )
    seasonal_kinds = models.JSONField(_("季节性风险纠纷类型"), default=list, blank=True)
    seasonal_months = models.JSONField(_("季节性风险月份"), default=list, blank=True)

    class Meta:
        verbose_name = _("调解设置与风险阈值")
        verbose_name_plural = _("调解设置与风险阈值")
        constraints = [
            models.CheckConstraint(
                condition=Q(group_major_threshold__gte=models.F("group_threshold")), name="medsettings_group_order"
            )
        ]

    def __str__(self) -> str:
        return str(_("调解设置与风险阈值"))

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if not isinstance(self.seasonal_kinds, list) or any(k not in DisputeKind.values for k in self.seasonal_kinds):
            errors["seasonal_kinds"] = _('请填写纠纷类型编码的列表,如 ["labour"]')
        if not isinstance(self.seasonal_months, list) or any(
            not isinstance(m, int) or not 1 <= m <= 12 for m in self.seasonal_months
        ):
            errors["seasonal_months"] = _("请填写 1–12 的月份列表,如 [12, 1, 2]")
        if self.group_major_threshold is not None and self.group_threshold is not None:
            if self.group_major_threshold < self.group_threshold:
                errors["group_major_threshold"] = _("重大群体性纠纷人数不能小于群体性纠纷人数")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def current(cls) -> MediationSettings:
        row = cls.objects.order_by("pk").first()
        if row is None:
            row = cls.objects.create(seasonal_kinds=[DisputeKind.LABOUR], seasonal_months=[12, 1, 2])
        return row


class DisputeNumberSequence(models.Model):
    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Dispute(models.Model):
    """A dispute (纠纷) taken into mediation."""

    number = models.CharField(_("编号"), max_length=24, unique=True, editable=False)
    kind = models.CharField(_("纠纷类型"), max_length=24, choices=DisputeKind.choices)
    summary = models.TextField(_("纠纷概要"), max_length=2000, validators=[MaxLengthValidator(2000)])
    source = models.CharField(_("来源"), max_length=20, choices=DisputeSource.choices)
    area = models.ForeignKey(Area, verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="disputes")
    area_path = models.CharField(max_length=255, editable=False)
    town = models.ForeignKey(Area, null=True, on_delete=models.PROTECT, related_name="+", editable=False)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    address = models.CharField(_("地点"), max_length=200, blank=True)
    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.SET_NULL, related_name="disputes"
    )
    amount_at_stake = models.DecimalField(
        _("争议金额(元)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    people_involved = models.PositiveIntegerField(_("涉及人数"), default=2, validators=[MaxValueValidator(100000)])
    case = models.OneToOneField(
        "disputes.Case",
        verbose_name=_("来源事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispute",
    )
    status = models.CharField(_("状态"), max_length=16, choices=DisputeStatus.choices, default=DisputeStatus.REPORTED)
    organisation = models.ForeignKey(
        MediationOrg,
        verbose_name=_("调解组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes",
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("调解员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediated_disputes",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="reported_disputes"
    )
    risk_level = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW)
    # [{"key": rule, "params": {...}}], rendered as sentences in the reader's language (risk.py).
    risk_reasons = models.JSONField(_("风险原因"), default=list, blank=True)
    deadline = models.DateTimeField(_("调解期限"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    deadline_alert = models.CharField(max_length=8, blank=True, editable=False)  # "", "yellow", "red"
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    agreed_at = models.DateTimeField(null=True, blank=True, editable=False)
    failed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("矛盾纠纷")
        verbose_name_plural = _("矛盾纠纷")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["area_path", "-created_at"], name="dispute_area_created"),
            models.Index(fields=["area_path"], name="dispute_area_path_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["status", "-created_at"], name="dispute_status_created"),
            models.Index(fields=["organisation", "status", "-created_at"], name="dispute_org_status"),
            models.Index(fields=["mediator", "status"], name="dispute_mediator_status"),
            models.Index(fields=["reporter", "-created_at"], name="dispute_reporter"),
            models.Index(fields=["kind", "created_at"], name="dispute_kind_created"),
            models.Index(fields=["risk_level", "-created_at"], name="dispute_risk"),
            models.Index(fields=["building", "created_at"], name="dispute_building_created"),
            # The period's figures per kind (figures._by_kind) read these alone (index-only scans).
            models.Index(fields=["created_at"], name="dispute_created_cover", include=["area_path", "kind"]),
            models.Index(
                fields=["agreed_at"],
                name="dispute_agreed_cover",
                include=["area_path", "kind", "source"],
                condition=Q(agreed_at__isnull=False),
            ),
            models.Index(
                fields=["failed_at"],
                name="dispute_failed_cover",
                include=["area_path", "kind"],
                condition=Q(failed_at__isnull=False),
            ),
            models.Index(
                fields=["warn_at", "deadline"],
                name="dispute_open_deadline",
                condition=Q(status__in=["reported", "assigned", "mediating"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"

    @property
    def title(self) -> str:
        return self.summary[:30] + ("…" if len(self.summary) > 30 else "")

    @property
    def risk_rank(self) -> int:
        return RISK_ORDER.index(self.risk_level)


class Party(models.Model):
    """An applicant or respondent: a registered resident, or a name and phone."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("当事人身份"), max_length=12, choices=PartyRole.choices)
    resident = models.ForeignKey(
        Resident, verbose_name=_("居民"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True, validators=[validate_phone])
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True, validators=[validate_id_number])

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["dispute", "role", "id"]
        indexes = [
            models.Index(fields=["resident"], name="party_resident", condition=Q(resident__isnull=False)),
            models.Index(fields=["name", "phone"], name="party_name_phone"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(resident__isnull=False) | ~Q(name=""), name="party_resident_or_name")
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.resident.name if self.resident_id else self.name


class MediationSession(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("调解时间"))
    place = models.CharField(_("地点"), max_length=200)
    attendees = models.CharField(_("参加人员"), max_length=500)
    notes = models.TextField(_("调解笔录"), max_length=5000, validators=[MaxLengthValidator(5000)])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.held_at:%Y-%m-%d}"


class Agreement(models.Model):
    """调解协议书, with 司法确认 and 履行 recorded on it."""

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="agreement")
    terms = models.TextField(_("协议内容"), max_length=10000, validators=[MaxLengthValidator(10000)])
    signed_at = models.DateField(_("签订日期"))
    court_confirmed = models.BooleanField(_("司法确认"), null=True, blank=True)
    confirmation_note = models.CharField(_("司法确认说明"), max_length=500, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    fulfilled = models.BooleanField(_("已履行"), null=True, blank=True)
    fulfilment_note = models.CharField(_("履行说明"), max_length=500, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("调解协议书")
        verbose_name_plural = _("调解协议书")

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.signed_at}"


class Referral(models.Model):
    """诉调对接: a failed mediation handed to a court, arbitration, the petition office or review."""

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="referral")
    to = models.CharField(_("移送至"), max_length=24, choices=ReferralTarget.choices)
    note = models.CharField(_("说明"), max_length=1000, blank=True)
    external_number = models.CharField(_("外部案号"), max_length=60, blank=True)
    outcome = models.CharField(_("处理结果"), max_length=500, blank=True)
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("移送记录")
        verbose_name_plural = _("移送记录")
        indexes = [models.Index(fields=["referred_at"], name="referral_at")]

    def __str__(self) -> str:
        return f"{self.dispute_id} → {self.to}"


class FollowUp(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="follow_ups")
    note = models.CharField(_("回访情况"), max_length=1000)
    satisfied = models.BooleanField(_("当事人满意"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.at:%Y-%m-%d}"


class EventKind(models.TextChoices):
    CREATE = "create", _("登记")
    ASSIGN = "assign", _("指派")
    ACCEPT = "accept", _("受理调解")
    SESSION = "session", _("调解")
    AGREE = "agree", _("达成协议")
    FAIL = "fail", _("调解不成")
    REFER = "refer", _("移送")
    CONFIRM = "confirm", _("司法确认")
    FULFIL = "fulfil", _("履行")
    FOLLOW_UP = "follow_up", _("回访")
    CLOSE = "close", _("结案")
    RISK = "risk", _("风险预警")
    WARNING = "warning", _("临期预警")
    ESCALATE = "escalate", _("超期升级")


class DisputeEvent(models.Model):
    """One immutable line of a dispute's timeline. `comment` holds a user's own words only; system
    lines keep a kind and data and are rendered at read time."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events", db_index=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    comment = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("纠纷处置记录")
        verbose_name_plural = _("纠纷处置记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["dispute", "created_at"], name="dispute_event_created")]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Dispute events are immutable.")
        super().save(*args, **kwargs)


class DisputeAlert(models.Model):
    """A yellow warning or a red lapse of a dispute's time limit; the unique row makes each happen once."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="alerts", db_index=False)
    level = models.CharField(max_length=8, choices=[("yellow", _("黄灯预警")), ("red", _("红灯超期"))])
    deadline = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    sweep = models.CharField(max_length=32, editable=False)
    escalated_to = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("纠纷时限预警")
        verbose_name_plural = _("纠纷时限预警")
        constraints = [models.UniqueConstraint(fields=["dispute", "level"], name="dispute_alert_once")]
        indexes = [models.Index(fields=["sweep"], name="dispute_alert_sweep")]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.level}"


class ScreeningReport(models.Model):
    """A village's monthly screening (矛盾纠纷排查); 0 found is a zero report (零报告)."""

    area = models.ForeignKey(Area, verbose_name=_("村(社区)"), on_delete=models.PROTECT, related_name="screenings")
    area_path = models.CharField(max_length=255, editable=False)
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    disputes_found = models.PositiveIntegerField(_("排查发现纠纷数"), validators=[MaxValueValidator(10000)])
    notes = models.CharField(_("说明"), max_length=1000, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("矛盾纠纷排查月报")
        verbose_name_plural = _("矛盾纠纷排查月报")
        ordering = ["-month", "area_path"]
        constraints = [models.UniqueConstraint(fields=["area", "month"], name="screening_once_per_month")]
        indexes = [models.Index(fields=["month", "area_path"], name="screening_month_path")]

    def __str__(self) -> str:
        return f"{self.area} {self.month:%Y-%m}"

    @property
    def zero_report(self) -> bool:
        return self.disputes_found == 0
