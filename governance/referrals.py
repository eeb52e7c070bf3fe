"""Referrals across apps (诉调对接 and friends), wired here because only governance may import both
disputes and legal_services.

- consultation → case: `disputes.services.case_create`, then the referral recorded in legal_services;
- cases are a target kind legal services can resolve (label, link, closed?) for the user asking,
  so a referral, a 普法 event or a 以案释法 entry that points at a case shows it on both sides.

A dispute is one more kind: register a resolver and a referrer for "dispute" the same way once
mediation (disputes) has its services (left to the integrator).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from disputes import selectors as case_selectors
from disputes import services as case_services
from disputes.models import Category, Source, Status
from grids.models import User
from legal_services import services as legal
from legal_services import targets
from legal_services.models import Consultation, TargetKind


def _cases(user: User, ids: list[int]) -> dict[int, targets.Target]:
    return {
        case.pk: targets.Target(
            TargetKind.CASE,
            case.pk,
            case.number,
            reverse("case_detail", args=[case.pk]),
            case.status in (Status.CLOSED, Status.VERIFIED),
            case.area_path,
        )
        for case in case_selectors.cases_visible_to(user).filter(pk__in=ids).only("pk", "number", "status", "area_path")
    }


class CaseReferForm(forms.Form):
    category = forms.CharField(label=_("事项分类"), max_length=64)
    description = forms.CharField(
        label=_("事项描述(默认为咨询内容)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    note = forms.CharField(label=_("转介说明"), max_length=500, required=False)

    def __init__(self, *args, user: User | None = None, consultation: Consultation | None = None, **kwargs):
        self.user, self.consultation = user, consultation
        super().__init__(*args, **kwargs)

    def clean_category(self) -> Category:
        found = case_selectors.category_by_ref(self.cleaned_data["category"], active_only=True)
        if found is None:
            raise ValidationError(_("未知分类"))
        return found


def refer_consultation_to_case(
    *, consultation: Consultation, by: User, category: Category, description: str = "", note: str = ""
) -> int:
    """转事项: the consultation becomes a case for the town center, and both sides show the link."""
    case = case_services.case_create(
        by=by,
        category=category,
        description=description or consultation.question,
        area=consultation.area,
        source=Source.RESIDENT,
        involved_residents=[consultation.resident] if consultation.resident_id else (),
        involved_people=consultation.name,
    )
    legal.consultation_referred_elsewhere(
        consultation=consultation, by=by, target_kind=TargetKind.CASE, target_id=case.pk, note=note
    )
    return case.pk


def register() -> None:
    targets.register_resolver(TargetKind.CASE, _cases)
    targets.register_referrer(TargetKind.CASE, refer_consultation_to_case, CaseReferForm)


def refer_case_to_aid(*, case, by: User, note: str = "", **application) -> int:
    """A case (a wage arrears report, say) referred to legal aid: the application starts from the
    case's description and area, and the referral shows on both the case and the application."""
    from legal_services.services import aid_apply, referral_record

    data = {"matter": "other", "reason": case.description, "area": case.area} | application
    if not case.involved_residents.exists() and not data.get("name") and not data.get("resident"):
        raise ValidationError({"name": [_("请选择居民或填写申请人姓名")]})
    if "resident" not in data and "name" not in data:
        data["resident"] = case.involved_residents.first()
    aid = aid_apply(by=by, referral_from=TargetKind.CASE, **data)
    referral_record(
        by=by,
        source_kind=TargetKind.CASE,
        source_id=case.pk,
        target_kind=TargetKind.AID,
        target_id=aid.pk,
        area_path=case.area_path,
        note=note,
    )
    return aid.pk
