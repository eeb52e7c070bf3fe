"""Stored notification messages of mediation: keys and parameters, rendered when read."""

from django.utils.translation import gettext_lazy as _lazy

from grids.messages import define

ASSIGNED = define(
    "mediation.assigned",
    _lazy("纠纷 %(number)s 已指派给您调解"),
    _lazy("%(organisation)s 受理的%(kind)s纠纷,请及时受理并组织调解。"),
)
ASSIGNED_ORG = define(
    "mediation.assigned_org",
    _lazy("纠纷 %(number)s 已指派给%(organisation)s"),
    _lazy("请本组织调解员及时受理%(kind)s纠纷。"),
)
RISK_RAISED = define(
    "mediation.risk_raised",
    _lazy("纠纷 %(number)s 风险等级:%(level)s"),
    _lazy("%(kind)s纠纷,原因:%(reasons)s"),
)
DEADLINE_WARNING = define(
    "mediation.deadline_warning",
    _lazy("纠纷 %(number)s 调解即将到期"),
    _lazy("调解期限 %(deadline)s,请抓紧调解。"),
)
DEADLINE_ESCALATED = define(
    "mediation.deadline_escalated",
    _lazy("纠纷 %(number)s 调解超期,已升级至司法所"),
    _lazy("调解期限 %(deadline)s 已过,请督促调解组织。"),
)
