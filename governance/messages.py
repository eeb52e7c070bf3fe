"""The notifications of governance (reports), as message keys rendered in the reader's language
(grids/messages.py)."""

from django.utils.translation import gettext_lazy as _

from grids.messages import define

REPORT_READY = define(
    "report.ready",
    _("%(area)s%(kind)s(%(period)s)已生成"),
    _(
        "新增 %(new)s 件,结案 %(closed)s 件,超期 %(overdue)s 件;"
        "响应率 %(response)s,解决率 %(resolution)s,满意率 %(satisfaction)s"
    ),
)
