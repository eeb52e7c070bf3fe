"""Stored notification messages of mediation: keys and parameters, rendered when read."""

from django.utils.translation import gettext_lazy

from grids.messages import define

ASSIGNED = define(
    "mediation.assigned",
    gettext_lazy("纠纷 %(number)s 已指派给您调解"),
    gettext_lazy("%(organisation)s 受理的%(kind)s纠纷,请及时受理并组织调解。"),
)
ASSIGNED_ORG = define(
    "mediation.assigned_org",
    gettext_lazy("纠纷 %(number)s 已指派给%(organisation)s"),
    gettext_lazy("请本组织调解员及时受理%(kind)s纠纷。"),
)
RISK_RAISED = define(
    "mediation.risk_raised",
    gettext_lazy("纠纷 %(number)s 风险等级:%(level)s"),
    gettext_lazy("%(kind)s纠纷,原因:%(reasons)s"),
)
DEADLINE_WARNING = define(
    "mediation.deadline_warning",
    gettext_lazy("纠纷 %(number)s 调解即将到期"),
    gettext_lazy("调解期限 %(deadline)s,请抓紧调解。"),
)
DEADLINE_ESCALATED = define(
    "mediation.deadline_escalated",
    gettext_lazy("纠纷 %(number)s 调解超期,已升级至司法所"),
    gettext_lazy("调解期限 %(deadline)s 已过,请督促调解组织。"),
)
