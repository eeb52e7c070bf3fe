"""Referrals across apps (诉调对接 and friends), wired here because only governance may import both
disputes and legal_services.

- consultation → case: `disputes.services.case_create`, then the referral recorded in legal_services;
- consultation → dispute (转人民调解): `disputes.mediation.services.dispute_create`, the asker as the
  applicant, then the referral;
- case or dispute → legal aid (转法律援助): `legal_services.services.aid_apply` with the applicant
  taken from the case's residents or the dispute's applicant, then the referral;
- cases and disputes are target kinds legal services can resolve (label, link, closed?) for the user
  asking, so a referral, a 普法 event or a 以案释法 entry that points at one shows it on both sides.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from disputes import selectors as case_selectors
from disputes import services as case_services
from disputes.mediation import selectors as dispute_selectors
from disputes.mediation import services as dispute_services
from disputes.mediation.models import DisputeKind, DisputeSource, DisputeStatus, PartyRole
from disputes.models import Case, Category, Source, Status
from grids.models import User
from legal_services import selectors as legal_selectors
from legal_services import services as legal
from legal_services import targets
from legal_services.models import Consultation, MatterKind, SpecialGroup, TargetKind


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


def _disputes(user: User, ids: list[int]) -> dict[int, targets.Target]:
    return {
        d.pk: targets.Target(
            TargetKind.DISPUTE,
            d.pk,
            d.number,
            reverse("dispute_detail", args=[d.pk]),
            d.status == DisputeStatus.CLOSED,
            d.area_path,
        )
        for d in dispute_selectors.disputes_visible_to(user)
        .filter(pk__in=ids)
        .only("pk", "number", "status", "area_path")
    }


class DisputeReferForm(forms.Form):
    kind = forms.ChoiceField(label=_("纠纷类型"), choices=DisputeKind.choices)
    summary = forms.CharField(
        label=_("纠纷简要情况(默认为咨询内容)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    respondent = forms.CharField(label=_("被申请人姓名"), max_length=50, required=False)
    note = forms.CharField(label=_("转介说明"), max_length=500, required=False)

    def __init__(self, *args, user: User | None = None, consultation: Consultation | None = None, **kwargs):
        self.user, self.consultation = user, consultation
        super().__init__(*args, **kwargs)


def refer_consultation_to_dispute(
    *, consultation: Consultation, by: User, kind: str, summary: str = "", respondent: str = "", note: str = ""
) -> int:
    """转人民调解: the consultation becomes a dispute registered in the consultation's area (a walk-in:
    the asker came to the service point), the asker its applicant, and both sides show the link."""
    applicant = (
        {"role": PartyRole.APPLICANT, "resident": consultation.resident}
        if consultation.resident_id
        else {"role": PartyRole.APPLICANT, "name": consultation.name}
    )
    parties = [applicant]
    if respondent.strip():
        parties.append({"role": PartyRole.RESPONDENT, "name": respondent.strip()})
    dispute = dispute_services.dispute_create(
        by=by,
        kind=kind,
        summary=summary or consultation.question,
        source=DisputeSource.WALK_IN,
        parties=parties,
        area=consultation.area,
    )
    legal.consultation_referred_elsewhere(
        consultation=consultation, by=by, target_kind=TargetKind.DISPUTE, target_id=dispute.pk, note=note
    )
    return dispute.pk


def register() -> None:
    targets.register_resolver(TargetKind.CASE, _cases)
    targets.register_referrer(TargetKind.CASE, refer_consultation_to_case, CaseReferForm)
    targets.register_resolver(TargetKind.DISPUTE, _disputes)
    targets.register_referrer(TargetKind.DISPUTE, refer_consultation_to_dispute, DisputeReferForm)


class AidFromSourceForm(forms.Form):
    """Case or dispute → legal aid: what the application needs beyond what the case or dispute says.
    The applicant is the case's first involved resident or the dispute's applicant unless named here."""

    matter = forms.ChoiceField(label=_("案件类型"), choices=MatterKind.choices)
    reason = forms.CharField(label=_("申请事由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    name = forms.CharField(label=_("申请人姓名(默认为涉及居民或申请人)"), max_length=50, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    phone = forms.CharField(label=_("电话"), max_length=20, required=False)
    monthly_income = forms.DecimalField(
        label=_("家庭人均月收入(元)"), required=False, min_value=0, max_digits=9, decimal_places=2
    )
    special_group = forms.ChoiceField(label=_("特殊群体"), choices=SpecialGroup.choices, required=False)
    note = forms.CharField(label=_("转介说明"), max_length=500, required=False)


def aid_sources_visible_to(user: User, kind: str):
    """The cases or disputes this user may see (the ones a referral to legal aid may start from)."""
    if kind == TargetKind.CASE:
        return case_selectors.cases_visible_to(user).select_related("area")
    if kind == TargetKind.DISPUTE:
        return dispute_selectors.disputes_visible_to(user).select_related("area")
    return None


def may_refer_to_aid(user: User, source) -> bool:
    """Legal-services staff over the case's or dispute's area take the application (aid_apply checks
    it again)."""
    return legal_selectors.can_write(user, source.area_path)


def aid_initial(source) -> dict:
    """What the form starts with: the case's description or the dispute's summary as the reason."""
    return {"reason": getattr(source, "description", None) or getattr(source, "summary", "")}


def _applicant_of(source) -> dict:
    if isinstance(source, Case):
        resident = source.involved_residents.first()
        return {"resident": resident} if resident is not None else {}
    party = source.parties.filter(role=PartyRole.APPLICANT).select_related("resident").first()
    if party is None:
        return {}
    if party.resident_id:
        return {"resident": party.resident}
    return {"name": party.name, "phone": party.phone, "id_number": party.id_number}


@transaction.atomic
def refer_to_aid(*, source, by: User, note: str = "", **application) -> int:
    """A case (a wage arrears report, say) or a dispute (a failed mediation) referred to legal aid:
    the application starts from the source's text and area, and the referral shows on both sides."""
    from legal_services.services import aid_apply, referral_record

    kind = TargetKind.CASE if isinstance(source, Case) else TargetKind.DISPUTE
    data = {"matter": MatterKind.OTHER, "reason": aid_initial(source)["reason"], "area": source.area}
    data |= {k: v for k, v in application.items() if v not in (None, "")}
    if not data.get("name") and "resident" not in data:
        data |= _applicant_of(source)
    if not data.get("name") and data.get("resident") is None:
        raise ValidationError({"name": [_("请选择居民或填写申请人姓名")]})
    aid = aid_apply(by=by, referral_from=kind, **data)
    referral_record(
        by=by,
        source_kind=kind,
        source_id=source.pk,
        target_kind=TargetKind.AID,
        target_id=aid.pk,
        area_path=source.area_path,
        note=note,
    )
    return aid.pk


def refer_case_to_aid(*, case, by: User, note: str = "", **application) -> int:
    return refer_to_aid(source=case, by=by, note=note, **application)
