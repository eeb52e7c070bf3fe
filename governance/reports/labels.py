"""What the figures of a report are called, in the reader's language."""

from django.utils.translation import gettext_lazy

from disputes.models import Satisfaction

RATE_KEYS = ("response", "resolution", "satisfaction")

COUNT_LABELS = {
    "new": gettext_lazy("新增事项"),
    "closed": gettext_lazy("结案"),
    "handled": gettext_lazy("办结"),
    "on_time": gettext_lazy("按期办结"),
    "overdue": gettext_lazy("超期事项(红灯)"),
    "open_at_end": gettext_lazy("期末在办"),
    "feedback_unreachable": gettext_lazy("无法回访"),  # issue 12: closed without feedback, counted apart
}
RATE_LABELS = {
    "response": gettext_lazy("响应率"),
    "resolution": gettext_lazy("解决率"),
    "satisfaction": gettext_lazy("满意率"),
    "on_time": gettext_lazy("按期办结率"),
}
RATE_HELP = {
    "response": gettext_lazy("签收期限在本期的派单中按时签收的比例"),
    "resolution": gettext_lazy("办理期限在本期的事项中按期办结的比例"),
    "satisfaction": gettext_lazy("本期回访中满意和基本满意的比例"),
    "on_time": gettext_lazy("本期办结的事项中未超过办理期限的比例"),
}
SATISFACTION_LABELS = dict(Satisfaction.choices)
EXTENSION_LABELS = {
    "requested": gettext_lazy("延期申请"),
    "approved": gettext_lazy("批准延期"),
    "refused": gettext_lazy("不批准延期"),
}
