"""Legal-aid eligibility from the rules admins edit (EligibilityRule), as reasons for the review.

An application qualifies when the applicant belongs to a special group that qualifies regardless of
income, or when its matter is within scope and the household income is under the threshold. Each
reason is a code with parameters, rendered in the reader's language (`reason_text`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext

from .models import AidApplication, EligibilityRule, MatterKind, RuleKind, SpecialGroup


@dataclass
class Verdict:
    eligible: bool
    reasons: list[dict] = field(default_factory=list)  # [{"code", "ok", "params"}]


def rules_for(area_path: str) -> list[EligibilityRule]:
    """Active rules for an area: the district-wide ones and those of an area above it."""
    codes = [c for c in area_path.split("/") if c]
    return list(
        EligibilityRule.objects.filter(Q(area__isnull=True) | Q(area__code__in=codes), active=True)
        .select_related("area")
        .order_by("kind", "id")
    )


def assess(application: AidApplication, rules: list[EligibilityRule] | None = None) -> Verdict:
    rules = rules_for(application.area_path) if rules is None else rules
    reasons: list[dict] = []
    groups = {r.special_group: r for r in rules if r.kind == RuleKind.SPECIAL_GROUP}
    if application.special_group and application.special_group in groups:
        reasons.append(
            {
                "code": "special_group",
                "ok": True,
                "params": {"group": application.special_group, "rule": groups[application.special_group].name},
            }
        )
        return Verdict(True, reasons)
    matters = {r.matter: r for r in rules if r.kind == RuleKind.MATTER}
    matter_ok = application.matter in matters
    reasons.append(
        {
            "code": "matter_in_scope" if matter_ok else "matter_out_of_scope",
            "ok": matter_ok,
            "params": {"matter": application.matter},
        }
    )
    incomes = [r for r in rules if r.kind == RuleKind.INCOME]
    # The nearest rule wins: an area's own threshold before the district-wide one.
    incomes.sort(key=lambda r: -(len(r.area.path) if r.area_id else 0))
    income_ok = False
    if not incomes:
        reasons.append({"code": "no_income_rule", "ok": False, "params": {}})
    elif application.monthly_income is None:
        reasons.append(
            {"code": "income_unknown", "ok": False, "params": {"threshold": str(incomes[0].income_threshold)}}
        )
    else:
        threshold: Decimal = incomes[0].income_threshold
        income_ok = application.monthly_income <= threshold
        reasons.append(
            {
                "code": "income_under" if income_ok else "income_over",
                "ok": income_ok,
                "params": {"income": str(application.monthly_income), "threshold": str(threshold)},
            }
        )
    return Verdict(matter_ok and income_ok, reasons)


def reason_text(reason: dict) -> str:
    p = dict(reason.get("params") or {})
    if "matter" in p and p["matter"] in MatterKind.values:
        p["matter"] = MatterKind(p["matter"]).label
    if "group" in p and p["group"] in SpecialGroup.values:
        p["group"] = SpecialGroup(p["group"]).label
    texts = {
        "special_group": gettext("属于“%(group)s”,免予经济困难审查(%(rule)s)"),
        "matter_in_scope": gettext("“%(matter)s”属于法律援助事项范围"),
        "matter_out_of_scope": gettext("“%(matter)s”不在法律援助事项范围内"),
        "no_income_rule": gettext("未设置经济困难标准"),
        "income_unknown": gettext("未填写家庭人均月收入(标准:%(threshold)s 元)"),
        "income_under": gettext("人均月收入 %(income)s 元,不高于标准 %(threshold)s 元"),
        "income_over": gettext("人均月收入 %(income)s 元,高于标准 %(threshold)s 元"),
    }
    text = texts.get(reason.get("code"), reason.get("code", ""))
    try:
        return text % p
    except (KeyError, TypeError, ValueError):
        return text
