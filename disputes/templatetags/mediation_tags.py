"""Template tags linking a case to its mediation (disputes/mediation)."""

from __future__ import annotations

from django import template

from disputes.mediation import selectors, services
from disputes.mediation.models import Dispute
from disputes.models import Kind

register = template.Library()


@register.simple_tag(takes_context=True)
def mediation_for_case(context, case) -> dict:
    """The dispute handed over from this case (if the reader may see it), and whether the reader
    may hand a dispute case to mediation."""
    user = context["request"].user
    dispute = selectors.disputes_visible_to(user).filter(case=case).only("pk", "number", "status").first()
    can_hand_over = (
        dispute is None
        and case.kind == Kind.DISPUTE
        and services.may_create(user)
        and not Dispute.objects.filter(case=case).exists()
    )
    return {"dispute": dispute, "can_hand_over": can_hand_over}


@register.simple_tag(takes_context=True)
def mediation_today(context) -> list | None:
    """What a mediator must do today: (tab, label, count) of the workbench, or None if not a mediator."""
    from disputes.mediation.views import TAB_LABELS
    from disputes.mediation.workflow import mediator_org_ids

    user = context["request"].user
    if not user.is_authenticated or not mediator_org_ids(user):
        return None
    qs = selectors.disputes_visible_to(user)
    return [(tab, TAB_LABELS[tab], selectors.queue_tab(user, qs, tab).count()) for tab in selectors.MEDIATOR_TABS]


@register.filter
def percent(rate) -> str:
    """0.8571 → 85.7 %; None (nothing to divide) → —."""
    return "—" if rate is None or rate == "" else f"{float(rate) * 100:.1f} %"
