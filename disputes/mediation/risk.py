"""Risk early warning (风险智能评估): rules that raise a dispute's risk level and explain themselves.

Each rule gives a level and a reason kept as a key and parameters (`Dispute.risk_reasons`), so the
page and the API render the sentence in the reader's language ("why high risk"). The thresholds
live in `MediationSettings`, editable in the admin.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .models import RISK_ORDER, Dispute, DisputeKind, MediationSettings, Party, RiskLevel

REASONS = {
    "repeat_parties": gettext_lazy("同一当事人在 %(days)s 天内已有 %(count)s 起纠纷"),
    "repeat_place": gettext_lazy("同一楼栋或地点(%(place)s)在 %(days)s 天内已有 %(count)s 起纠纷"),
    "large_amount": gettext_lazy("争议金额 %(amount)s 元,达到大额标准 %(threshold)s 元"),
    "group": gettext_lazy("涉及 %(people)s 人,属群体性纠纷(%(threshold)s 人及以上)"),
    "group_major": gettext_lazy("涉及 %(people)s 人,属重大群体性纠纷(%(threshold)s 人及以上)"),
    "special_population": gettext_lazy("当事人中有特殊人群,需重点关注"),
    "seasonal": gettext_lazy("%(kind)s纠纷处于季节性高发期(%(month)s 月)"),
}

# Short names of the rules, for notifications and the admin.
REASON_LABELS = {
    "repeat_parties": gettext_lazy("同一当事人重复纠纷"),
    "repeat_place": gettext_lazy("同一楼栋或地点重复纠纷"),
    "large_amount": gettext_lazy("争议金额大"),
    "group": gettext_lazy("群体性纠纷"),
    "group_major": gettext_lazy("重大群体性纠纷"),
    "special_population": gettext_lazy("涉特殊人群"),
    "seasonal": gettext_lazy("季节性高发"),
}


def render_reasons(reasons: list[dict]) -> list[str]:
    """The stored reasons as sentences in the active language."""
    result = []
    for r in reasons or []:
        template = REASONS.get(r.get("key"))
        if template is None:
            continue
        params = dict(r.get("params") or {})
        if "kind" in params and params["kind"] in DisputeKind.values:
            params["kind"] = DisputeKind(params["kind"]).label
        try:
            result.append(str(template) % params)
        except (KeyError, TypeError, ValueError):
            result.append(str(template))
    return result


def max_level(*levels: str) -> str:
    return max(levels, key=RISK_ORDER.index)


def assess(dispute: Dispute, parties: list[Party], settings: MediationSettings | None = None) -> tuple[str, list]:
    """(level, reasons) for a dispute whose parties are saved. A constant number of queries."""
    settings = settings or MediationSettings.current()
    level = RiskLevel.LOW
    reasons: list[dict] = []
    since = (dispute.created_at or timezone.now()) - timedelta(days=settings.repeat_days)
    earlier = Dispute.objects.filter(created_at__gte=since).exclude(pk=dispute.pk)

    resident_ids = [p.resident_id for p in parties if p.resident_id]
    named = [(p.name, p.phone) for p in parties if not p.resident_id and p.name and p.phone]
    party_q = Q(resident_id__in=resident_ids) if resident_ids else Q(pk__in=[])
    for name, phone in named:
        party_q |= Q(name=name, phone=phone)
    if resident_ids or named:
        count = Party.objects.filter(party_q, dispute__in=earlier).values("dispute_id").distinct().count()
        if count:
            level = max_level(level, RiskLevel.HIGH)
            reasons.append({"key": "repeat_parties", "params": {"days": settings.repeat_days, "count": count}})

    place_q = None
    place = ""
    if dispute.building_id:
        place_q, place = Q(building_id=dispute.building_id), dispute.building.name
    elif dispute.address.strip():
        place_q, place = Q(address=dispute.address.strip()), dispute.address.strip()
    if place_q is not None:
        count = earlier.filter(place_q).count()
        if count:
            level = max_level(level, RiskLevel.HIGH)
            reasons.append(
                {"key": "repeat_place", "params": {"days": settings.repeat_days, "count": count, "place": place}}
            )

    if dispute.amount_at_stake is not None and Decimal(dispute.amount_at_stake) >= settings.amount_threshold:
        level = max_level(level, RiskLevel.HIGH)
        reasons.append(
            {
                "key": "large_amount",
                "params": {"amount": f"{dispute.amount_at_stake:.2f}", "threshold": f"{settings.amount_threshold:.2f}"},
            }
        )
    if dispute.people_involved >= settings.group_major_threshold:
        level = max_level(level, RiskLevel.MAJOR)
        reasons.append(
            {
                "key": "group_major",
                "params": {"people": dispute.people_involved, "threshold": settings.group_major_threshold},
            }
        )
    elif dispute.people_involved >= settings.group_threshold:
        level = max_level(level, RiskLevel.HIGH)
        reasons.append(
            {"key": "group", "params": {"people": dispute.people_involved, "threshold": settings.group_threshold}}
        )
    if any(p.resident_id and p.resident.special_population for p in parties):
        level = max_level(level, RiskLevel.HIGH)
        reasons.append({"key": "special_population", "params": {}})
    month = timezone.localtime(dispute.created_at or timezone.now()).month
    if dispute.kind in (settings.seasonal_kinds or []) and month in (settings.seasonal_months or []):
        level = max_level(level, RiskLevel.MEDIUM)
        reasons.append({"key": "seasonal", "params": {"kind": dispute.kind, "month": month}})
    return level, reasons
