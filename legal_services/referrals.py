"""This app's own referral kinds: legal aid (a target of consultations, cases and disputes) and
consultations (the source other apps show). Cases and disputes are registered by governance."""

from __future__ import annotations

from django.urls import reverse

from grids.models import User

from .forms import AidReferForm
from .models import AidStatus, TargetKind
from .targets import Target, register_referrer, register_resolver


def _aid(user: User, ids: list[int]) -> dict[int, Target]:
    from .selectors import aid_visible_to

    return {
        a.pk: Target(
            TargetKind.AID,
            a.pk,
            a.number,
            reverse("legal:aid_detail", args=[a.pk]),
            a.status in (AidStatus.CLOSED, AidStatus.REFUSED),
            a.area_path,
        )
        for a in aid_visible_to(user).filter(pk__in=ids)
    }


def _consultations(user: User, ids: list[int]) -> dict[int, Target]:
    from .selectors import consultations_visible_to

    return {
        c.pk: Target(
            TargetKind.CONSULTATION,
            c.pk,
            f"{c.get_topic_display()} · {c.asker_name}",
            reverse("legal:consultation_detail", args=[c.pk]),
            c.status != "open",
            c.area_path,
        )
        for c in consultations_visible_to(user).filter(pk__in=ids)
    }


def _refer_to_aid(*, consultation, by, **data) -> int:
    from .services import consultation_refer_to_aid

    return consultation_refer_to_aid(consultation=consultation, by=by, **data).pk


def register_own_kinds() -> None:
    register_resolver(TargetKind.AID, _aid)
    register_resolver(TargetKind.CONSULTATION, _consultations)
    register_referrer(TargetKind.AID, _refer_to_aid, AidReferForm)
