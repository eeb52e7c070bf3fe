"""The notifications of the case workflow and of the deadline sweep, as message keys rendered in
the reader's language (grids/messages.py). Parameters: `number` and `title` of the case, `clock`
(a label), `department` (a name), counts."""

from django.utils.translation import gettext_lazy as _

from grids.messages import define

CASE_DISPATCH = define("case.dispatch", _("新派单:%(number)s 请及时签收"), "%(title)s")
CASE_RETURN = define("case.return", _("退单:%(number)s 需重新派单"), "%(title)s")
CASE_REQUEST_EXTENSION = define("case.request_extension", _("延期申请:%(number)s 待审批"), "%(title)s")
CASE_HANDLE = define("case.handle", _("办结:%(number)s 待核查"), "%(title)s")
CASE_ESCALATE = define("case.escalate", _("上报:%(number)s 已转区级社会治理中心"), "%(title)s")
CASE_STEP_KEYS = {
    "dispatch": CASE_DISPATCH,
    "return": CASE_RETURN,
    "request_extension": CASE_REQUEST_EXTENSION,
    "handle": CASE_HANDLE,
    "escalate": CASE_ESCALATE,
}

DEADLINE_YELLOW = define("deadline.yellow", _("黄灯预警:%(number)s %(clock)s时限将到"), _("期限 %(deadline)s"))
DEADLINE_RED = define("deadline.red", _("红灯督办:%(number)s %(department)s%(clock)s超期"))
DEADLINE_RED_ESCALATED = define(
    "deadline.red_escalated",
    _("红灯督办:%(number)s %(department)s%(clock)s超期"),
    _("超期已上报区级社会治理中心"),
)
DEADLINE_DEPARTMENT_RED_DIGEST = define(
    "deadline.department_red_digest",
    _("红灯督办:%(department)s %(red)s 件超期"),
    _("超期 %(red)s 件,时限将到 %(yellow)s 件"),
)
DEADLINE_DEPARTMENT_YELLOW_DIGEST = define(
    "deadline.department_yellow_digest",
    _("黄灯预警:%(department)s %(yellow)s 件时限将到"),
    _("超期 %(red)s 件,时限将到 %(yellow)s 件"),
)
DEADLINE_RED_DIGEST = define(
    "deadline.red_digest",
    _("红灯督办:%(count)s 件事项超期"),
    _("其中 %(escalated)s 件已上报区级社会治理中心"),
)

# To the resident who left a phone on /report/ (SMS, rendered in the site's language at send time).
RESIDENT_ACCEPTED = define("resident.accepted", _("您反映的问题(%(number)s)已受理,查询码 %(code)s"))
RESIDENT_CLOSED = define("resident.closed", _("您反映的问题(%(number)s)已办结,欢迎凭查询码 %(code)s 评价"))
RESIDENT_SMS_KEYS = {"accepted": RESIDENT_ACCEPTED, "closed": RESIDENT_CLOSED}
# To the center: a resident rated the handling on /track/.
RESIDENT_RATED_DISSATISFIED = define("resident.dissatisfied", _("群众评价不满意:%(number)s 可重新办理"), "%(title)s")
# Issue 12: the reporter hears back, supervision (督办) and its reply, the center's clocks.
CASE_ACCEPTED_REPORTER = define("case.reporter_accept", _("您上报的事项 %(number)s 已受理"), "%(title)s")
CASE_HANDLED_REPORTER = define("case.reporter_handle", _("您上报的事项 %(number)s 已办结"), "%(title)s")
CASE_CLOSED_REPORTER = define("case.reporter_close", _("您上报的事项 %(number)s 已结案"), "%(title)s")
REPORTER_KEYS = {
    "accept": CASE_ACCEPTED_REPORTER,
    "handle": CASE_HANDLED_REPORTER,
    "close": CASE_CLOSED_REPORTER,
}
CASE_CO_WITHDREW = define("case.co_withdrew", _("协办退出:%(number)s %(department)s 已退回协办任务"), "%(title)s")
CASE_SUPERVISE = define("case.supervise", _("督办:%(number)s 请于 %(deadline)s 前回复"), "%(note)s")
CASE_REPLY = define("case.reply", _("督办回复:%(number)s %(department)s 已回复"), "%(note)s")
CENTER_CLOCK_YELLOW = define(
    "deadline.center_yellow", _("黄灯预警:%(number)s %(clock)s时限将到"), _("期限 %(deadline)s")
)
CENTER_CLOCK_RED = define("deadline.center_red", _("红灯督办:%(number)s 中心%(clock)s超期"))
CENTER_CLOCK_RED_ESCALATED = define(
    "deadline.center_red_escalated",
    _("红灯督办:%(number)s 中心%(clock)s超期"),
    _("超期已上报区级社会治理中心"),
)
