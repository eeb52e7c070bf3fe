"""The services layer: every write to a case goes through here.

- `cases`: one function per domain action (`case_create`, `case_dispatch`, …), shared by the pages
  and the API, each in one transaction on a row-locked case.
- `lapse`: the bulk lapse of due clocks (`cases_lapse`), called by the deadline sweep.

`from disputes.services import case_dispatch` keeps working: the names are re-exported here.
"""

from ..selectors import REPORTER_ROLES
from .cases import (
    ACTION_SERVICES,
    CASE_PERMISSIONS,
    Case,
    Kind,
    _next_number,
    _sync_department_access,
    case_accept,
    case_approve_extension,
    case_close,
    case_create,
    case_dispatch,
    case_escalate,
    case_feedback,
    case_handle,
    case_merge,
    case_progress,
    case_reclassify,
    case_refuse_extension,
    case_reject,
    case_reopen,
    case_reply,
    case_report,
    case_request_extension,
    case_resolve_on_site,
    case_return,
    case_rework,
    case_sign,
    case_supervise,
    case_verify,
    refresh_clocks,
)
from .lapse import LapseResult, cases_lapse
from .residents import case_log_call, case_report_public, case_resident_rate, case_submit_open311

__all__ = [
    "ACTION_SERVICES",
    "CASE_PERMISSIONS",
    "REPORTER_ROLES",
    "Case",
    "Kind",
    "LapseResult",
    "_next_number",
    "_sync_department_access",
    "case_accept",
    "case_approve_extension",
    "case_close",
    "case_create",
    "case_dispatch",
    "case_escalate",
    "case_feedback",
    "case_handle",
    "case_merge",
    "case_progress",
    "case_reclassify",
    "case_refuse_extension",
    "case_reject",
    "case_reopen",
    "case_reply",
    "case_report",
    "case_request_extension",
    "case_resolve_on_site",
    "case_return",
    "case_rework",
    "case_sign",
    "case_supervise",
    "case_verify",
    "cases_lapse",
    "refresh_clocks",
    # residents in the loop (issue 15)
    "case_log_call",
    "case_report_public",
    "case_resident_rate",
    "case_submit_open311",
]
