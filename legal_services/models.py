"""Public legal services (公共法律服务): the registries (legal-savvy residents, lawyers and village
legal advisers, service points, model households and villages), consultations, legal aid with its
eligibility rules, law popularisation (普法) and 以案释法, and referrals to and from other apps.

This app imports `grids` only. Rows that belong to a place carry `area_path` (a copy of the area's
materialised path), so scoping is one indexed prefix query, as for cases.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Area, Household, Resident
from grids.validators import validate_id_number, validate_phone


class MatterKind(models.TextChoices):
    """Kinds of legal matter, shared by consultations, legal aid and the eligibility rules."""

    MARRIAGE_FAMILY = "marriage_family", _("婚姻家庭")
    LABOUR = "labour", _("劳动争议")
    WAGES = "wages", _("追索劳动报酬")
    LAND = "land", _("土地承包")
    CONTRACT = "contract", _("合同纠纷")
    DEBT = "debt", _("借贷债务")
    NEIGHBOUR = "neighbour", _("相邻关系")
    TRAFFIC = "traffic", _("交通事故")
    MEDICAL = "medical", _("医疗纠纷")
    INHERITANCE = "inheritance", _("继承")
    SUPPORT = "support", _("赡养抚养")
    CONSUMER = "consumer", _("消费维权")
    CRIMINAL = "criminal", _("刑事辩护")
    OTHER = "other", _("其他")


class SpecialGroup(models.TextChoices):
    """Groups who qualify for legal aid whatever their income (法律援助法 第三十二条 and local rules)."""

    NONE = "", _("无")
    MINOR = "minor", _("未成年人")
    ELDERLY = "elderly", _("老年人")
    DISABLED = "disabled", _("残疾人")
    VETERAN = "veteran", _("军人军属")
    MIGRANT_WORKER = "migrant_worker", _("农民工讨薪")
    LOW_INCOME = "low_income", _("低保户、特困人员")


class TownScoped(models.Model):
    area = models.ForeignKey(Area, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        abstract = True


# ---------------------------------------------------------------------------------------------
# Registries


class LegalSavvyResident(models.Model):
    """法律明白人: a resident who helps the village with the law, and their training."""

    resident = models.OneToOneField(
        Resident, verbose_name=_("居民"), on_delete=models.PROTECT, related_name="legal_savvy"
    )
    village = models.ForeignKey(Area, verbose_name=_("服务村社区"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, editable=False, db_index=True)
    since = models.DateField(_("认定日期"), default=timezone.localdate)
    active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("法律明白人")
        verbose_name_plural = _("法律明白人")
        ordering = ["area_path", "id"]
        indexes = [models.Index(fields=["active", "area_path"], name="savvy_active_path")]

    def __str__(self) -> str:
        return self.resident.name


class TrainingRecord(models.Model):
    savvy = models.ForeignKey(
        LegalSavvyResident, verbose_name=_("法律明白人"), on_delete=models.CASCADE, related_name="trainings"
    )
    held_on = models.DateField(_("培训日期"))
    hours = models.DecimalField(
        _("学时"), max_digits=4, decimal_places=1, validators=[MinValueValidator(0.5), MaxValueValidator(80)]
    )
    topic = models.CharField(_("培训主题"), max_length=200)

    class Meta:
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        ordering = ["-held_on", "id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"


class Lawyer(models.Model):
    """A registered lawyer (or grass-roots legal worker). With villages and a contract term, the
    village legal adviser of those villages (一村一法律顾问)."""

    name = models.CharField(_("姓名"), max_length=50)
    firm = models.CharField(_("律师事务所"), max_length=100)
    licence_no = models.CharField(_("执业证号"), max_length=32, unique=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    # Where the lawyer is registered with the judicial office: scopes who sees them.
    area = models.ForeignKey(Area, verbose_name=_("登记区域"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, editable=False, db_index=True)
    villages = models.ManyToManyField(Area, verbose_name=_("顾问村社区"), blank=True, related_name="legal_advisers")
    term_from = models.DateField(_("聘期开始"), null=True, blank=True)
    term_to = models.DateField(_("聘期结束"), null=True, blank=True)
    duty_hours = models.CharField(_("值班时间"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("律师与法律顾问")
        verbose_name_plural = _("律师与法律顾问")
        ordering = ["area_path", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_from__isnull=True) | Q(term_to__isnull=True) | Q(term_to__gte=models.F("term_from")),
                name="lawyer_term_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.firm})"


class AdviserLogKind(models.TextChoices):
    VISIT = "visit", _("驻村走访")
    ADVICE = "advice", _("法律咨询")
    DOCUMENT = "document", _("审核文件")
    MEDIATION = "mediation", _("参与调解")
    LECTURE = "lecture", _("法治讲座")


class AdviserLog(models.Model):
    """The adviser's service log: visits, advice given, documents reviewed."""

    lawyer = models.ForeignKey(Lawyer, verbose_name=_("法律顾问"), on_delete=models.CASCADE, related_name="logs")
    village = models.ForeignKey(Area, verbose_name=_("村社区"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, editable=False)
    happened_on = models.DateField(_("日期"))
    kind = models.CharField(_("服务类型"), max_length=16, choices=AdviserLogKind.choices)
    note = models.CharField(_("内容"), max_length=500)

    class Meta:
        verbose_name = _("顾问服务记录")
        verbose_name_plural = _("顾问服务记录")
        ordering = ["-happened_on", "-id"]
        indexes = [models.Index(fields=["area_path", "happened_on"], name="adviserlog_path_day")]

    def __str__(self) -> str:
        return f"{self.happened_on} {self.get_kind_display()}"


class ServicePointKind(models.TextChoices):
    JUDGE_WORKSTATION = "judge_workstation", _("法官工作站")
    CONTACT_POINT = "contact_point", _("联系点")
    SHARED_COURT = "shared_court", _("共享法庭")
    TERMINAL = "terminal", _("公共法律服务终端")
    STATION = "station", _("公共法律服务站")


class ServicePoint(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=24, choices=ServicePointKind.choices)
    area = models.ForeignKey(Area, verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, editable=False)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    lat = models.FloatField(_("纬度"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lng = models.FloatField(_("经度"), validators=[MinValueValidator(-180), MaxValueValidator(180)])

    class Meta:
        verbose_name = _("服务站点")
        verbose_name_plural = _("服务站点")
        ordering = ["area_path", "kind", "name"]
        indexes = [models.Index(fields=["kind", "area_path"], name="servicepoint_kind_path")]
        constraints = [models.UniqueConstraint(fields=["area", "kind", "name"], name="servicepoint_unique")]

    def __str__(self) -> str:
        return self.name


class ModelHousehold(models.Model):
    """学法用法示范户, designated for one year."""

    household = models.ForeignKey(Household, verbose_name=_("户"), on_delete=models.PROTECT, related_name="+")
    head_name = models.CharField(_("户主"), max_length=50)
    village = models.ForeignKey(Area, verbose_name=_("村社区"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, editable=False)
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])

    class Meta:
        verbose_name = _("学法用法示范户")
        verbose_name_plural = _("学法用法示范户")
        ordering = ["-year", "area_path", "id"]
        indexes = [models.Index(fields=["year", "area_path"], name="modelhousehold_year_path")]
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="modelhousehold_once_a_year")]

    def __str__(self) -> str:
        return f"{self.year} {self.head_name}"


class ModelVillageLevel(models.TextChoices):
    DISTRICT = "district", _("区级")
    CITY = "city", _("市级")
    PROVINCE = "province", _("省级")
    NATIONAL = "national", _("全国")


class ModelVillage(models.Model):
    """民主法治示范村(社区), designated for one year."""

    village = models.ForeignKey(Area, verbose_name=_("村社区"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, editable=False)
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    level = models.CharField(_("级别"), max_length=16, choices=ModelVillageLevel.choices)

    class Meta:
        verbose_name = _("民主法治示范村")
        verbose_name_plural = _("民主法治示范村")
        ordering = ["-year", "area_path"]
        indexes = [models.Index(fields=["year", "area_path"], name="modelvillage_year_path")]
        constraints = [models.UniqueConstraint(fields=["village", "year"], name="modelvillage_once_a_year")]

    def __str__(self) -> str:
        return f"{self.year} {self.village}"


# ---------------------------------------------------------------------------------------------
# Consultations


class ConsultationChannel(models.TextChoices):
    IN_PERSON = "in_person", _("现场")
    PHONE = "phone", _("电话")
    ONLINE = "online", _("网络")


class ConsultationStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    ANSWERED = "answered", _("已答复")
    REFERRED = "referred", _("已转介")


class Consultation(TownScoped):
    """法律咨询: who asked, about what, through which channel, and who answered."""

    topic = models.CharField(_("咨询事项"), max_length=24, choices=MatterKind.choices)
    question = models.TextField(_("咨询内容"), max_length=2000, validators=[MaxLengthValidator(2000)])
    answer = models.TextField(_("答复"), max_length=2000, blank=True, validators=[MaxLengthValidator(2000)])
    channel = models.CharField(_("渠道"), max_length=16, choices=ConsultationChannel.choices)
    resident = models.ForeignKey(
        Resident, verbose_name=_("咨询人(居民)"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("咨询人姓名"), max_length=50, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ConsultationStatus.choices, default=ConsultationStatus.OPEN
    )
    asked_at = models.DateTimeField(_("咨询时间"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("法律咨询")
        verbose_name_plural = _("法律咨询")
        ordering = ["-asked_at", "-id"]
        indexes = [
            models.Index(fields=["area_path", "asked_at"], name="consultation_path_asked"),
            models.Index(fields=["status", "area_path"], name="consultation_status_path"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(resident__isnull=False) | ~Q(name=""), name="consultation_has_asker")
        ]

    def __str__(self) -> str:
        return f"{self.get_topic_display()} · {self.asker_name}"

    @property
    def asker_name(self) -> str:
        return self.resident.name if self.resident_id else self.name


# ---------------------------------------------------------------------------------------------
# Legal aid


class AidStatus(models.TextChoices):
    APPLIED = "applied", _("已申请")
    REVIEWING = "reviewing", _("审查中")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("不予援助")
    ASSIGNED = "assigned", _("已指派")
    CLOSED = "closed", _("已结案")


OPEN_AID_STATUSES = (AidStatus.APPLIED, AidStatus.REVIEWING)


class AlertLevel(models.TextChoices):
    NONE = "", _("无")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")


class AidApplication(TownScoped):
    """法律援助申请. Its workflow is the table in `legal_services/workflow.py`."""

    number = models.CharField(_("编号"), max_length=20, unique=True)
    matter = models.CharField(_("案件类型"), max_length=24, choices=MatterKind.choices)
    reason = models.TextField(_("申请事由"), max_length=2000, validators=[MaxLengthValidator(2000)])
    resident = models.ForeignKey(
        Resident, verbose_name=_("申请人(居民)"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("申请人姓名"), max_length=50, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True, validators=[validate_id_number])
    phone = models.CharField(_("电话"), max_length=20, blank=True, validators=[validate_phone])
    monthly_income = models.DecimalField(
        _("家庭人均月收入(元)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    special_group = models.CharField(_("特殊群体"), max_length=24, choices=SpecialGroup.choices, blank=True, default="")
    status = models.CharField(_("状态"), max_length=16, choices=AidStatus.choices, default=AidStatus.APPLIED)
    applied_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("受理人"), on_delete=models.PROTECT, related_name="+"
    )
    # The review clock (审查期限), in working days on the official calendar.
    review_deadline = models.DateTimeField(_("审查期限"), null=True, blank=True)
    review_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    review_alert = models.CharField(max_length=8, choices=AlertLevel.choices, blank=True, default="", editable=False)
    decided_at = models.DateTimeField(_("审查决定时间"), null=True, blank=True)
    refuse_reason = models.CharField(_("不予援助理由"), max_length=500, blank=True)
    lawyer = models.ForeignKey(
        Lawyer, verbose_name=_("承办律师"), null=True, blank=True, on_delete=models.PROTECT, related_name="aid_cases"
    )
    assigned_at = models.DateTimeField(_("指派时间"), null=True, blank=True)
    outcome = models.TextField(_("办理结果"), max_length=2000, blank=True, validators=[MaxLengthValidator(2000)])
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("法律援助申请")
        verbose_name_plural = _("法律援助申请")
        ordering = ["-applied_at", "-id"]
        indexes = [
            models.Index(fields=["area_path", "applied_at"], name="aid_path_applied"),
            models.Index(fields=["status", "area_path"], name="aid_status_path"),
            models.Index(fields=["area_path", "decided_at"], name="aid_path_decided"),
            models.Index(fields=["area_path", "closed_at"], name="aid_path_closed"),
            # The sweep's look-up: open reviews whose clock is still running.
            models.Index(
                fields=["review_deadline"],
                name="aid_review_clock",
                condition=Q(status__in=["applied", "reviewing"]) & ~Q(review_alert="red"),
            ),
            models.Index(
                fields=["review_warn_at"],
                name="aid_review_warn",
                condition=Q(status__in=["applied", "reviewing"], review_alert=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(resident__isnull=False) | ~Q(name=""), name="aid_has_applicant")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def applicant_name(self) -> str:
        return self.resident.name if self.resident_id else self.name

    @property
    def applicant_id_number(self) -> str:
        return self.resident.id_number if self.resident_id else self.id_number

    @property
    def applicant_phone(self) -> str:
        return self.resident.phone if self.resident_id else self.phone


class AidEventKind(models.TextChoices):
    APPLY = "apply", _("申请")
    REVIEW = "review", _("开始审查")
    APPROVE = "approve", _("批准援助")
    REFUSE = "refuse", _("不予援助")
    ASSIGN = "assign", _("指派律师")
    CLOSE = "close", _("结案")
    REVIEW_WARNING = "review_warning", _("审查临期(黄灯)")
    REVIEW_OVERDUE = "review_overdue", _("审查超期(红灯)")


class AidEvent(models.Model):
    """One immutable line of an application's timeline: a kind and data, rendered at read time."""

    application = models.ForeignKey(AidApplication, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=AidEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    comment = models.CharField(max_length=2000, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("援助处置记录")
        verbose_name_plural = _("援助处置记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["application", "created_at"], name="aidevent_app_time")]
        constraints = [
            # The sweep writes each alert once, however many sweeps run at once.
            models.UniqueConstraint(
                fields=["application", "kind"],
                condition=Q(kind__in=["review_warning", "review_overdue"]),
                name="aidevent_alert_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"


class RuleKind(models.TextChoices):
    INCOME = "income", _("经济困难标准")
    MATTER = "matter", _("援助事项范围")
    SPECIAL_GROUP = "special_group", _("免于经济困难审查的群体")


class EligibilityRule(models.Model):
    """One rule the review shows as a reason. An application qualifies when it belongs to a special
    group that qualifies regardless, or when its matter is in scope and its income is under the
    threshold. Rules with an area apply to that subtree only; the nearest income threshold wins."""

    kind = models.CharField(_("规则类型"), max_length=16, choices=RuleKind.choices)
    name = models.CharField(_("规则名称"), max_length=100)
    area = models.ForeignKey(
        Area,
        verbose_name=_("适用区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("留空表示全区适用"),
    )
    income_threshold = models.DecimalField(
        _("人均月收入上限(元)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    matter = models.CharField(_("事项"), max_length=24, choices=MatterKind.choices, blank=True)
    special_group = models.CharField(_("群体"), max_length=24, choices=SpecialGroup.choices, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("援助条件")
        verbose_name_plural = _("援助条件")
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="income", income_threshold__isnull=False, matter="", special_group=""))
                | (Q(kind="matter", income_threshold__isnull=True, special_group="") & ~Q(matter=""))
                | (Q(kind="special_group", income_threshold__isnull=True, matter="") & ~Q(special_group="")),
                name="eligibility_rule_fields_match_kind",
            )
        ]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------------
# Law popularisation


class LawTopic(models.TextChoices):
    CIVIL_CODE = "civil_code", _("民法典")
    ANTI_FRAUD = "anti_fraud", _("反电信网络诈骗")
    CONSTITUTION = "constitution", _("宪法")
    LABOUR = "labour", _("劳动保障")
    MINORS = "minors", _("未成年人保护")
    ELDERLY = "elderly", _("老年人权益")
    ANTI_DRUG = "anti_drug", _("禁毒")
    SAFETY = "safety", _("安全生产")
    MEDIATION = "mediation", _("人民调解")
    OTHER = "other", _("其他")


class LawEvent(TownScoped):
    """A 普法 event: date, place, organiser, topic, audience, materials handed out, photos."""

    held_on = models.DateField(_("活动日期"))
    place = models.CharField(_("地点"), max_length=200)
    organiser = models.CharField(_("主办单位"), max_length=100, blank=True)
    topic = models.CharField(_("主题"), max_length=24, choices=LawTopic.choices)
    title = models.CharField(_("活动名称"), max_length=200, blank=True)
    audience = models.PositiveIntegerField(_("受众人数"), validators=[MaxValueValidator(1_000_000)])
    materials = models.PositiveIntegerField(_("发放资料(份)"), default=0, validators=[MaxValueValidator(10_000_000)])
    # A case (or, later, a dispute) the event explains: a generic reference, resolved through
    # `legal_services.targets` (this app does not import disputes).
    case_ref = models.PositiveBigIntegerField(_("关联事项"), null=True, blank=True)
    photo = models.ImageField(_("照片"), upload_to="legal/events/%Y/%m/", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("普法活动")
        verbose_name_plural = _("普法活动")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["area_path", "held_on"], name="lawevent_path_day")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title or self.get_topic_display()}"


class TargetKind(models.TextChoices):
    """What a referral or a 以案释法 entry points at. "aid" lives here; the others live in other apps
    and are resolved through `legal_services.targets` (registered by governance)."""

    AID = "aid", _("法律援助")
    CASE = "case", _("事项")
    DISPUTE = "dispute", _("矛盾纠纷")
    CONSULTATION = "consultation", _("法律咨询")


class CaseLesson(TownScoped):
    """以案释法: a closed case or dispute and the lesson drawn from it, personal details left out."""

    source_kind = models.CharField(_("来源类型"), max_length=16, choices=TargetKind.choices)
    source_id = models.PositiveBigIntegerField(_("来源编号"))
    title = models.CharField(_("标题"), max_length=200)
    lesson = models.TextField(_("以案释法"), max_length=4000, validators=[MaxLengthValidator(4000)])
    law_refs = models.CharField(_("相关法条"), max_length=300, blank=True)
    event = models.ForeignKey(
        LawEvent, verbose_name=_("普法活动"), null=True, blank=True, on_delete=models.SET_NULL, related_name="lessons"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("以案释法")
        verbose_name_plural = _("以案释法")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["area_path", "created_at"], name="caselesson_path_time"),
            models.Index(fields=["source_kind", "source_id"], name="caselesson_source"),
        ]

    def __str__(self) -> str:
        return self.title


class Referral(models.Model):
    """One referral between legal services and the rest, stored once and shown on both sides.

    Each side is a kind and an id (a generic target, no cross-app foreign key): a consultation
    referred to legal aid, to a case or to mediation (a dispute); a case or dispute referred to
    legal aid. The other app's side resolves its own kind (`legal_services.targets`)."""

    source_kind = models.CharField(max_length=16, choices=TargetKind.choices)
    source_id = models.PositiveBigIntegerField()
    target_kind = models.CharField(max_length=16, choices=TargetKind.choices)
    target_id = models.PositiveBigIntegerField()
    area_path = models.CharField(max_length=255, editable=False)
    note = models.CharField(_("转介说明"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("转介")
        verbose_name_plural = _("转介")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["source_kind", "source_id"], name="referral_source"),
            models.Index(fields=["target_kind", "target_id"], name="referral_target"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_kind", "source_id", "target_kind", "target_id"], name="referral_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_kind}#{self.source_id} → {self.target_kind}#{self.target_id}"
