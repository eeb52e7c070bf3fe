"""Territory, organisations, people and roles. This app imports no other app of the project."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .messages import render
from .validators import validate_id_number, validate_phone


class User(AbstractUser):
    phone = models.CharField(_("手机号"), max_length=20, blank=True, validators=[validate_phone])

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")


class Level(models.TextChoices):
    DISTRICT = "district", _("区县")
    TOWN = "town", _("镇街")
    VILLAGE = "village", _("村社区")
    GRID = "grid", _("网格")
    MICRO_GRID = "micro_grid", _("微网格")


LEVEL_ORDER = [c.value for c in Level]
PARENT_LEVEL = {child: parent for parent, child in zip(LEVEL_ORDER, LEVEL_ORDER[1:], strict=False)}


class AreaQuerySet(models.QuerySet):
    def subtree(self, area: Area) -> AreaQuerySet:
        """The area and everything under it: one indexed prefix query on the path."""
        return self.filter(path__startswith=area.path)

    def descendants(self, area: Area) -> AreaQuerySet:
        return self.subtree(area).exclude(pk=area.pk)


class Area(models.Model):
    """One node of the five-level territory tree.

    `path` is a materialised path of codes ("150207/150207001/…/"), so a subtree is one
    `LIKE 'prefix%'` query on an index.
    """

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    boundary = models.JSONField(_("边界"), null=True, blank=True, help_text=_("GeoJSON Polygon 或 MultiPolygon"))
    centroid_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    centroid_lng = models.FloatField(_("中心经度"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["level", "code"]),
            models.Index(fields=["parent", "code"]),
            models.Index(fields=["level", "updated_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="district", parent__isnull=True) | (~Q(level="district") & Q(parent__isnull=False)),
                name="area_parent_matches_level",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return LEVEL_ORDER.index(self.level)

    @property
    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.split("/") if c][:-1]

    def ancestors(self) -> models.QuerySet[Area]:
        """Root first, itself excluded (one query)."""
        return Area.objects.filter(code__in=self.ancestor_codes).order_by("path")

    def is_within(self, other: Area) -> bool:
        return self.path.startswith(other.path)

    @property
    def centroid(self) -> dict | None:
        if self.centroid_lat is None or self.centroid_lng is None:
            return None
        return {"lat": self.centroid_lat, "lng": self.centroid_lng}


class DepartmentKind(models.Model):
    """A kind of functional department: police station, urban management, judicial office …"""

    code = models.SlugField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)

    class Meta:
        verbose_name = _("部门类型")
        verbose_name_plural = _("部门类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A functional department (职能部门) serving an area at its level."""

    code = models.SlugField(_("编码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.ForeignKey(
        DepartmentKind, verbose_name=_("类型"), on_delete=models.PROTECT, related_name="departments"
    )
    area = models.ForeignKey(Area, verbose_name=_("服务区域"), on_delete=models.PROTECT, related_name="departments")
    phone = models.CharField(_("电话"), max_length=20, blank=True, validators=[validate_phone])
    # Staff of the department share this group; object permissions on cases are granted to it.
    group = models.OneToOneField(Group, on_delete=models.PROTECT, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")
        ordering = ["area__code", "code"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员")
    GRID_CHIEF = "grid_chief", _("网格长")
    CENTER_STAFF = "center_staff", _("中心工作人员")
    DEPARTMENT_STAFF = "department_staff", _("部门工作人员")
    MEDIATOR = "mediator", _("调解员")
    LEGAL_STAFF = "legal_staff", _("法律服务人员")
    OFFICIAL = "official", _("领导")
    ADMIN = "admin", _("管理员")


class Membership(models.Model):
    """user × role × (area or department). One person may hold several."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    area = models.ForeignKey(Area, verbose_name=_("区域"), null=True, blank=True, on_delete=models.CASCADE)
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    # For grid teams (1+3+N): full-time grid worker, police officer, law enforcement, legal-savvy …
    team_role = models.CharField(_("网格团队职务"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("角色任职")
        verbose_name_plural = _("角色任职")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "area", "department"], name="membership_unique"),
            models.CheckConstraint(
                condition=(Q(role="department_staff", department__isnull=False, area__isnull=True))
                | (Q(role="admin") & Q(department__isnull=True))
                | (~Q(role__in=["department_staff", "admin"]) & Q(area__isnull=False, department__isnull=True)),
                name="membership_scope_matches_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area or self.department or '—'}"


class Building(models.Model):
    micro_grid = models.ForeignKey(Area, verbose_name=_("微网格"), on_delete=models.PROTECT, related_name="buildings")
    name = models.CharField(_("楼栋"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    units = models.PositiveSmallIntegerField(_("单元数"), default=1)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        constraints = [models.UniqueConstraint(fields=["micro_grid", "name"], name="building_unique_in_micro_grid")]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    number = models.CharField(_("户号"), max_length=40, unique=True)
    micro_grid = models.ForeignKey(Area, verbose_name=_("微网格"), on_delete=models.PROTECT, related_name="households")
    building = models.ForeignKey(Building, verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.SET_NULL)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    # Field work (一户一档): the unit and room in the building, and the household's flags.
    unit = models.CharField(_("单元"), max_length=20, blank=True)
    room = models.CharField(_("门牌/室号"), max_length=20, blank=True)
    rental = models.BooleanField(_("出租房屋"), default=False)
    # Copy of micro_grid.path, so scoping is one indexed prefix query without a join.
    area_path = models.CharField(max_length=255, editable=False, default="", db_index=True)

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")

    def __str__(self) -> str:
        return self.number


class SpecialPopulation(models.TextChoices):
    NONE = "", _("无")
    COMMUNITY_CORRECTION = "community_correction", _("社区矫正对象")
    RELEASED_PRISONER = "released_prisoner", _("刑满释放人员")
    DRUG_REHABILITATION = "drug_rehabilitation", _("社区戒毒康复人员")
    MENTAL_DISORDER = "mental_disorder", _("严重精神障碍患者")
    KEY_YOUTH = "key_youth", _("重点青少年")
    CULT_RELATED = "cult_related", _("涉邪教人员")


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Resident(models.Model):
    """A person of the actual population (实有人口), tied to a micro-grid."""

    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, unique=True, validators=[validate_id_number])
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True, validators=[validate_phone])
    micro_grid = models.ForeignKey(Area, verbose_name=_("微网格"), on_delete=models.PROTECT, related_name="residents")
    # Copy of micro_grid.path, so scoping is one indexed prefix query without a join.
    area_path = models.CharField(max_length=255, editable=False, db_index=True)
    household = models.ForeignKey(
        Household, verbose_name=_("户"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    special_population = models.CharField(
        _("特殊人群"), max_length=32, choices=SpecialPopulation.choices, blank=True, default=""
    )
    key_person = models.BooleanField(_("重点人员"), default=False)
    floating = models.BooleanField(_("流动人口"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["area_path", "name", "id"]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """An in-app message to one user. Every notification is recorded; email/SMS are delivery channels."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    # A message key and its parameters (grids/messages.py), rendered in the reader's language when
    # read. `title`/`body` hold free text: the legacy stored sentence, or a user's own words.
    key = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=4000, blank=True, validators=[MaxLengthValidator(4000)])
    url = models.CharField(max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    deliver_after = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox"),
            # The dedupe lookup of every sweep batch.
            models.Index(fields=["dedupe_key"], name="notification_dedupe_key", condition=~Q(dedupe_key="")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], condition=~Q(dedupe_key=""), name="notification_dedupe"
            )
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return render(self.key, self.params, "title", fallback=self.title) if self.key else self.title

    @property
    def display_body(self) -> str:
        return render(self.key, self.params, "body", fallback=self.body) if self.key else self.body


class Channel(models.TextChoices):
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    """One notification on one outside channel. The unique row means it is sent at most once."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When its task was last handed to the outbox: a pending delivery queued long ago lost its
    # task (a broker that lost its data) and is queued again (`notifications.requeue_stale`).
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知投递")
        verbose_name_plural = _("通知投递")
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")]
        indexes = [models.Index(fields=["status"], name="delivery_status", condition=~Q(status="sent"))]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.channel} {self.status}"


class OutboxMessage(models.Model):
    """A Celery task to publish, written in the same transaction as the change that causes it.

    Published after commit; if the broker is down the row stays and the sweep publishes it later,
    so creating or moving a case never fails because of the broker.
    """

    task = models.CharField(max_length=120)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    # Claimed by a publisher before it hands the task to the broker; marked published after.
    claimed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("待发任务")
        verbose_name_plural = _("待发任务")
        indexes = [
            models.Index(fields=["available_at"], name="outbox_unpublished", condition=Q(published_at__isnull=True))
        ]

    def __str__(self) -> str:
        return f"{self.task}{self.args}"


# Field work (patrols, visits, follow-ups, the registration audit) lives in its own module.
from .field_models import (  # noqa: E402, F401
    FollowUp,
    FollowUpLapse,
    Patrol,
    PatrolPoint,
    RegistrationChange,
    Visit,
    VisitPurpose,
)


class AuditKind(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出登录")
    LOCKED_OUT = "locked_out", _("账号锁定")
    TOKEN_ISSUED = "token_issued", _("签发接口令牌")
    TOKEN_REVOKED = "token_revoked", _("吊销接口令牌")
    UNMASKED_VIEW = "unmasked_view", _("查看完整身份证号和电话")
    PERSONAL_DATA_EXPORT = "personal_data_export", _("导出个人信息")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are immutable.")


class AuditEvent(models.Model):
    """Who did what to whose personal data, and when: one immutable row per event.

    Written through the typed functions of `grids.audit` by every app (logins, unmasked ID numbers,
    exports of personal data). `username` keeps the name tried on a failed login, where there may be
    no user at all; `subject_*` names the record concerned (a resident, an export).
    """

    kind = models.CharField(_("类型"), max_length=32, choices=AuditKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    subject_type = models.CharField(_("对象类型"), max_length=40, blank=True)
    subject_id = models.CharField(_("对象"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "-created_at"], name="audit_kind_created"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_created"),
            models.Index(fields=["subject_type", "subject_id", "-created_at"], name="audit_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.username}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit events are immutable.")
        super().save(*args, **kwargs)


class MapFeatureKind(models.TextChoices):
    STREET = "street", _("街道")
    BUILDING = "building", _("建筑")
    LANDMARK = "landmark", _("地标")


class MapFeature(models.Model):
    """A street, building or landmark of the base map, drawn as a vector layer under the pin when no
    tile server is configured (settings.MAP_TILE_URL). `geometry` is a GeoJSON geometry; the bounding
    box columns answer "what lies in this view" on an index."""

    code = models.CharField(max_length=64, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=MapFeatureKind.choices)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    geometry = models.JSONField(_("几何"))
    min_lng = models.FloatField()
    min_lat = models.FloatField()
    max_lng = models.FloatField()
    max_lat = models.FloatField()

    class Meta:
        verbose_name = _("地图要素")
        verbose_name_plural = _("地图要素")
        indexes = [models.Index(fields=["min_lng", "min_lat"], name="map_feature_bbox")]

    def __str__(self) -> str:
        return self.name or self.code
