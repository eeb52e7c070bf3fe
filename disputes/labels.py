"""What the case queues are called: shared by the case pages and the home page, so no page imports
another app's views."""

from django.utils.translation import gettext_lazy

TAB_LABELS = {
    "new": gettext_lazy("待受理"),
    "returned": gettext_lazy("被退单"),
    "extensions": gettext_lazy("延期申请"),
    "due_soon": gettext_lazy("即将到期"),
    "overdue": gettext_lazy("已超期"),
    "all": gettext_lazy("全部"),
    "to_sign": gettext_lazy("待签收"),
    "in_progress": gettext_lazy("办理中"),
    "done": gettext_lazy("已办结"),
    "mine": gettext_lazy("我上报的"),
    "area": gettext_lazy("辖区事项"),
    "supervised": gettext_lazy("被督办"),
    "escalated": gettext_lazy("已上报区级"),
    "visible": gettext_lazy("可见事项"),
}
