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
def legal_referrals(context, kind: str, pk: int):
    """`{% legal_referrals "case" case.pk %}` on a case (or dispute) page: the referrals between
    it and legal services, shown only when there are some."""
    from legal_services.selectors import referrals_for_display

    request = context.get("request")
    rows = referrals_for_display(request.user, kind, int(pk)) if request is not None else []
    return {"referrals": rows}
