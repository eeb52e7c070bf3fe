"""Legal-services notifications: message keys only, rendered in the reader's language when read."""

from django.utils.translation import gettext_lazy as _

from grids.messages import define

AID_APPLIED = define(
    "legal.aid_applied",
    _("新的法律援助申请:%(number)s"),
    _("%(matter)s,请在审查期限 %(deadline)s 前作出决定"),
)
AID_REVIEW_WARNING = define(
    "legal.aid_review_warning",
    _("法律援助审查临期:%(number)s"),
    _("审查期限 %(deadline)s 即将届满"),
)
AID_REVIEW_OVERDUE = define(
    "legal.aid_review_overdue",
    _("法律援助审查超期:%(number)s"),
    _("审查期限 %(deadline)s 已过,请尽快作出决定"),
)
