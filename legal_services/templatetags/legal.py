"""Template tags that let pages of other apps show legal-services facts without those apps
importing legal_services: the template asks, the tag (in this app) answers.

- `{% legal_village_block area %}` on the village page (templates/grids/area_detail.html):
  the village's legal adviser and its legal-savvy residents.
"""

from __future__ import annotations

from django import template

from legal_services.selectors import village_block

register = template.Library()


@register.inclusion_tag("legal_services/_village_block.html", takes_context=True)
def legal_village_block(context, area):
    request = context.get("request")
    block = village_block(request.user, area) if request is not None and area is not None else None
    return {"block": block}


@register.inclusion_tag("legal_services/_referrals_block.html", takes_context=True)
def legal_referrals(context, kind: str, pk: int, area_path: str = ""):
    """`{% legal_referrals "case" case.pk case.area_path %}` on a case (or dispute) page: the
    referrals between it and legal services, and for legal-services staff over its area a link to
    refer it to legal aid (the page lives in governance, which may import both sides)."""
    from legal_services.selectors import can_write, referrals_for_display

    request = context.get("request")
    if request is None:
        return {"referrals": []}
    return {
        "referrals": referrals_for_display(request.user, kind, int(pk)),
        "refer_aid": bool(area_path) and can_write(request.user, area_path),
        "kind": kind,
        "pk": pk,
    }
