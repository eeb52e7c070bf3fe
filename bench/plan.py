"""The plan of the synthetic history: every case's life, decided in numpy, vectorised.

Each case gets a creation moment over two years (growing volume, quiet weekends and nights), a
category, an urgency, a micro-grid (busy urban streets, quiet grasslands, hot spots) and one of four
lives: rejected, merged into a duplicate, resolved on site (小事不出网格), or accepted and dispatched
to a lead department (and sometimes a co-department), signed, worked on, handled, verified,
fed back and closed. Deadlines are real working-time deadlines on the official calendar (a
per-minute cumulative index of working minutes, built from disputes.worktime), so 80 % warnings,
late sign-ins, red alerts and automatic escalations fall where the app would put them.

Everything after the anchor moment (the bench's "now") is cut off: what is left is a live system
with open cases in every state, in which the deadline sweep has run until the anchor — except for
the backlog, dispatched cases whose sign-in limit lapsed while the sweep was not running, so the
bench's sweep has real work to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.conf import settings

from disputes.worktime import WorkingCalendar, parse_working_periods

NONE = np.int64(1 << 62)  # "never" / not (yet) happened: later than any real moment
DAY = 86_400
HOUR = 3_600
MINUTE = 60
TZ_OFFSET = 8 * HOUR  # Asia/Shanghai has no daylight saving time
SPAN_DAYS = 730

FLOW_REJECT, FLOW_MERGE, FLOW_ONSITE, FLOW_DISPATCH = 0, 1, 2, 3
STATUSES = ["reported", "accepted", "dispatched", "in_progress", "handled", "verified", "closed", "rejected", "merged"]
ST = {name: i for i, name in enumerate(STATUSES)}
LEAD_STATUSES = ["pending", "signed", "handled"]  # index = lead_status
CO_STATUSES = ["pending", "signed", "reported"]  # index = co_status
ALERTS = ["", "yellow", "red"]
SOURCES = ["grid_worker", "hotline", "resident", "patrol"]
URGENCIES = ["normal", "urgent", "emergency"]
SATISFACTIONS = ["", "satisfied", "basically_satisfied", "dissatisfied"]
RETURN_REASONS = ["not_our_duty", "wrong_area", "insufficient_info", "other"]

# Busy urban streets first, then the farming towns, then the grassland sumu.
TOWN_WEIGHTS = {"001": 1.7, "002": 1.5, "003": 1.2, "004": 1.0, "101": 0.7, "102": 0.6, "103": 0.6, "201": 0.25}
CATEGORY_WEIGHTS = {
    "sanitation": 18,
    "road_damage": 12,
    "noise": 9,
    "neighbour_dispute": 9,
    "property_management": 8,
    "illegal_construction": 7,
    "other": 7,
    "public_security": 6,
    "help_request": 6,
    "family_dispute": 4,
    "wage_arrears": 4,
    "fire_hazard": 4,
    "food_safety": 3,
    "pollution": 3,
}
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.3, 0.3, 0.5, 1.5, 3, 6, 9, 10, 9, 6, 5, 8, 9, 9, 8, 6, 5, 4, 3, 2, 1.5]


def local_midnight(t):
    return ((t + TZ_OFFSET) // DAY) * DAY - TZ_OFFSET


def local_day_number(t):
    """Days since 1970-01-01 of the local (Beijing) date of `t`."""
    return (t + TZ_OFFSET) // DAY


class Calendar:
    """Working minutes on the official calendar, as a cumulative count per minute: adding working
    time is one searchsorted, for a million cases at once."""

    def __init__(self, first: int, last: int) -> None:
        self.base = int(local_midnight(first))
        days = (last - self.base) // DAY + 2
        periods = parse_working_periods(settings.WORKING_PERIODS)
        spans = [(s.hour * 60 + s.minute, e.hour * 60 + e.minute) for s, e in periods]
        calendar = WorkingCalendar()
        day0 = date(1970, 1, 1) + timedelta(days=int(local_day_number(self.base)))
        calendar.preload(day0, day0 + timedelta(days=int(days)))
        working = np.zeros(days * 1440, dtype=bool)
        for d in range(days):
            if calendar.is_workday(day0 + timedelta(days=d)):
                for a, b in spans:
                    working[d * 1440 + a : d * 1440 + b] = True
        self.cum = np.concatenate([[0], np.cumsum(working, dtype=np.int64)])
        self.minutes_per_day = sum(b - a for a, b in spans)

    def _minute(self, t):
        return (np.asarray(t, dtype=np.int64) - self.base) // MINUTE

    def add(self, t, working_minutes):
        """The moment `working_minutes` of working time after `t` (at least one minute)."""
        wm = np.maximum(np.ceil(np.asarray(working_minutes, dtype=np.float64)), 1).astype(np.int64)
        target = self.cum[self._minute(t)] + wm
        return self.base + np.searchsorted(self.cum, target, side="left").astype(np.int64) * MINUTE

    def between(self, a, b):
        """Working minutes from a to b (0 when b is not after a)."""
        return np.maximum(self.cum[self._minute(b)] - self.cum[self._minute(a)], 0)

    def warn(self, start, deadline):
        """80 % of the limit in working time, as disputes.deadlines.warn_at."""
        total = self.between(start, deadline)
        return np.where(total > 0, self.add(start, 0.8 * total), deadline)


@dataclass
class World:
    """What the plan draws from: the seeded territory, organisations and people (ids)."""

    anchor: int
    district_id: int
    district_staff: int
    town_codes: list[str]
    town_ids: np.ndarray
    town_staff: np.ndarray
    mg_ids: np.ndarray
    mg_town: np.ndarray  # index into towns
    mg_worker: np.ndarray  # user id of the grid worker of the micro-grid's grid
    mg_rect: np.ndarray  # (n, 4) west, south, east, north
    cat_ids: np.ndarray
    cat_codes: list[str]
    sign_minutes: np.ndarray  # (categories, urgencies)
    handle_minutes: np.ndarray  # (categories, urgencies)
    candidates: np.ndarray  # (categories, towns, k) department ids, padded with 0
    n_candidates: np.ndarray  # (categories, towns)
    dept_staff: dict[int, int]
    text_variants: np.ndarray  # per category
    extra: dict = field(default_factory=dict)


def _lognormal(rng, median: float, sigma: float, size: int, cap: float) -> np.ndarray:
    return np.minimum(median * np.exp(sigma * rng.standard_normal(size)), cap).astype(np.int64) + 1


def _mixture(rng, size: int, parts: list[tuple[float, float, float]]) -> np.ndarray:
    """Fractions drawn from a mixture of uniform ranges: [(probability, low, high), …]."""
    which = rng.choice(len(parts), size=size, p=[p for p, _lo, _hi in parts])
    lows = np.array([lo for _p, lo, _hi in parts])[which]
    highs = np.array([hi for _p, _lo, hi in parts])[which]
    return lows + (highs - lows) * rng.random(size)


def _cut(t: np.ndarray, anchor: int) -> np.ndarray:
    return np.where(t > anchor, NONE, t)


def plan_cases(world: World, n: int, backlog: int, rng: np.random.Generator, calendar: Calendar) -> dict:
    """The whole history of `n` cases, `backlog` of them due for the sweep at the anchor."""
    A = world.anchor
    start = A - SPAN_DAYS * DAY
    p = {}

    # -- when: growing volume, quiet weekends, office hours --------------------------------------
    day_index = np.arange(SPAN_DAYS + 1)
    day_start = local_midnight(start) + day_index * DAY
    weekday = (local_day_number(day_start) + 3) % 7  # 1970-01-01 was a Thursday
    weights = (1 + 0.4 * day_index / SPAN_DAYS) * np.where(weekday >= 5, 0.6, 1.0)
    days = rng.choice(day_index, size=n, p=weights / weights.sum())
    hours = rng.choice(24, size=n, p=np.array(HOUR_WEIGHTS) / sum(HOUR_WEIGHTS))
    created = day_start[days] + hours * HOUR + rng.integers(0, HOUR, size=n)
    late = created >= A - MINUTE
    created[late] = A - rng.integers(MINUTE, 12 * HOUR, size=int(late.sum()))

    in_backlog = np.zeros(n, dtype=bool)
    in_backlog[rng.choice(n, size=backlog, replace=False)] = True
    nb = int(in_backlog.sum())
    created[in_backlog] = A - rng.integers(int(2.5 * DAY), 30 * DAY, size=nb)

    # -- what and where ------------------------------------------------------------------------
    cat_w = np.array([CATEGORY_WEIGHTS.get(code, 3) for code in world.cat_codes], dtype=float)
    cat = rng.choice(len(world.cat_ids), size=n, p=cat_w / cat_w.sum())
    urgency = rng.choice(3, size=n, p=[0.85, 0.12, 0.03])
    town_w = np.array([TOWN_WEIGHTS.get(code[-3:], 0.5) for code in world.town_codes])
    per_town = np.bincount(world.mg_town, minlength=len(town_w))
    mg_w = town_w[world.mg_town] / per_town[world.mg_town] * rng.lognormal(0, 0.7, size=len(world.mg_ids))
    mg = rng.choice(len(world.mg_ids), size=n, p=mg_w / mg_w.sum())
    town = world.mg_town[mg]
    source = rng.choice(4, size=n, p=[0.70, 0.18, 0.07, 0.05])
    reporter = np.where(np.isin(source, [0, 3]), world.mg_worker[mg], world.town_staff[town])
    rect = world.mg_rect[mg]
    inset = 0.05 + 0.9 * rng.random((n, 2))
    lng = rect[:, 0] + (rect[:, 2] - rect[:, 0]) * inset[:, 0]
    lat = rect[:, 1] + (rect[:, 3] - rect[:, 1]) * inset[:, 1]
    variant = (rng.random(n) * world.text_variants[cat]).astype(np.int64)

    u = rng.random(n)
    flow = np.select([u < 0.04, u < 0.07, u < 0.30], [FLOW_REJECT, FLOW_MERGE, FLOW_ONSITE], FLOW_DISPATCH)
    flow[in_backlog] = FLOW_DISPATCH

    def none():
        return np.full(n, NONE, dtype=np.int64)

    t_rm, t_resolve, t_accept, t_escalate = none(), none(), none(), none()
    t_ret_dispatch, t_ret, t_dispatch = none(), none(), none()
    lead_signed, lead_finished, co_signed, co_finished = none(), none(), none(), none()
    p1, p2, t_ext_req, t_ext_dec = none(), none(), none(), none()
    t_verify, t_feedback, t_close = none(), none(), none()
    sign_deadline, handle_deadline0, handle_deadline = none(), none(), none()
    sign_warn, handle_warn0, handle_warn = none(), none(), none()
    ret_sign_deadline, ret_handle_deadline, ret_sign_warn, ret_handle_warn = none(), none(), none(), none()
    esc_auto = np.zeros(n, dtype=np.int64)

    # -- rejected, merged, resolved on site ---------------------------------------------------
    m = (flow == FLOW_REJECT) | (flow == FLOW_MERGE)
    t_rm[m] = created[m] + _lognormal(rng, 3 * HOUR, 0.8, int(m.sum()), 3 * DAY)
    m = flow == FLOW_ONSITE
    k = int(m.sum())
    t_resolve[m] = created[m] + _lognormal(rng, 40 * MINUTE, 0.7, k, DAY)
    t_feedback[m] = t_resolve[m] + _lognormal(rng, 20 * HOUR, 0.6, k, 5 * DAY)
    t_close[m] = t_feedback[m] + _lognormal(rng, 6 * HOUR, 0.7, k, 3 * DAY)

    # -- dispatched: accept, (escalate | return), dispatch ---------------------------------------
    D = flow == FLOW_DISPATCH
    idx = np.flatnonzero(D)
    k = len(idx)
    t_accept[idx] = created[idx] + _lognormal(rng, 2 * HOUR, 0.9, k, 2 * DAY)
    manual = D & ~in_backlog & (rng.random(n) < 0.02)
    t_escalate[manual] = t_accept[manual] + _lognormal(rng, HOUR, 0.5, int(manual.sum()), DAY)
    returned = D & ~in_backlog & ~manual & (rng.random(n) < 0.05) & (created < A - 10 * DAY)
    r = np.flatnonzero(returned)
    t_ret_dispatch[r] = t_accept[r] + _lognormal(rng, HOUR, 0.6, len(r), DAY)
    t_ret[r] = t_ret_dispatch[r] + _lognormal(rng, 3 * HOUR, 0.6, len(r), 20 * HOUR)
    base = np.where(manual, t_escalate, np.where(returned, t_ret, t_accept))
    t_dispatch[idx] = base[idx] + _lognormal(rng, HOUR, 0.7, k, DAY)

    sign_min = world.sign_minutes[cat, urgency]
    handle_min = world.handle_minutes[cat, urgency]

    def clocks(ix):
        sign_deadline[ix] = calendar.add(t_dispatch[ix], sign_min[ix])
        handle_deadline0[ix] = calendar.add(t_dispatch[ix], handle_min[ix])
        sign_warn[ix] = calendar.warn(t_dispatch[ix], sign_deadline[ix])
        handle_warn0[ix] = calendar.warn(t_dispatch[ix], handle_deadline0[ix])

    clocks(idx)
    ret_sign_deadline[r] = calendar.add(t_ret_dispatch[r], sign_min[r])
    ret_handle_deadline[r] = calendar.add(t_ret_dispatch[r], handle_min[r])
    ret_sign_warn[r] = calendar.warn(t_ret_dispatch[r], ret_sign_deadline[r])
    ret_handle_warn[r] = calendar.warn(t_ret_dispatch[r], ret_handle_deadline[r])

    # The backlog: dispatched long enough ago that the sign-in limit has lapsed (a holiday can
    # stretch a one-working-day limit over a week, so push those further back until it has).
    for _ in range(20):
        due = np.flatnonzero(in_backlog & (sign_deadline >= A - MINUTE))
        if not len(due):
            break
        shift = rng.integers(2 * DAY, 4 * DAY, size=len(due))
        for arr in (created, t_accept, t_dispatch):
            arr[due] -= shift
        clocks(due)

    # -- departments ----------------------------------------------------------------------------
    ncand = world.n_candidates[cat, town]
    j_lead = np.where(rng.random(n) < 0.75, 0, (rng.random(n) * ncand).astype(np.int64))
    j_ret = j_lead
    j_lead = np.where(returned, (j_ret + 1) % ncand, j_lead)
    j_co = (j_lead + 1 + (rng.random(n) * (ncand - 1)).astype(np.int64)) % ncand
    lead_dept = np.where(D, world.candidates[cat, town, j_lead], 0)
    ret_dept = np.where(returned, world.candidates[cat, town, j_ret], 0)
    has_co = D & (rng.random(n) < 0.15)
    has_co |= in_backlog & (rng.random(n) < 0.25)
    co_dept = np.where(has_co, world.candidates[cat, town, j_co], 0)

    # -- sign-in, work, extension, co-department report, handle -----------------------------------
    sign_frac = _mixture(rng, n, [(0.80, 0.05, 0.8), (0.12, 0.8, 1.0), (0.08, 1.0, 2.0)])
    lead_signed[idx] = calendar.add(t_dispatch[idx], sign_frac[idx] * sign_min[idx]) + rng.integers(0, 60, k)
    co_frac = _mixture(rng, n, [(0.80, 0.05, 0.8), (0.12, 0.8, 1.0), (0.08, 1.0, 2.0)])
    c = np.flatnonzero(has_co)
    co_signed[c] = calendar.add(t_dispatch[c], co_frac[c] * sign_min[c]) + rng.integers(0, 60, len(c))

    ext = D & ~in_backlog & (rng.random(n) < 0.03)
    e = np.flatnonzero(ext)
    ext_days = np.zeros(n, dtype=np.int64)
    ext_days[e] = rng.choice([2, 3, 5], size=len(e))
    remaining = calendar.between(lead_signed[e], handle_deadline0[e])
    t_ext_req[e] = calendar.add(lead_signed[e], 0.5 * remaining) + rng.integers(0, 600, len(e))
    t_ext_dec[e] = t_ext_req[e] + _lognormal(rng, 4 * HOUR, 0.6, len(e), 2 * DAY)
    approved = ext & (rng.random(n) < 0.8)
    handle_deadline[idx] = handle_deadline0[idx]
    a = np.flatnonzero(approved)
    handle_deadline[a] = calendar.add(handle_deadline0[a], ext_days[a] * calendar.minutes_per_day)
    handle_warn[idx] = calendar.warn(t_dispatch[idx], handle_deadline[idx])

    handle_frac = _mixture(rng, n, [(0.75, 0.1, 0.8), (0.15, 0.8, 1.0), (0.10, 1.0, 1.6)])
    total = calendar.between(t_dispatch[idx], handle_deadline[idx])
    finished = calendar.add(t_dispatch[idx], handle_frac[idx] * total) + rng.integers(0, 60, k)
    finished = np.maximum(finished, lead_signed[idx] + _lognormal(rng, 2 * HOUR, 0.8, k, 2 * DAY))
    finished = np.where(ext[idx], np.maximum(finished, t_ext_dec[idx] + HOUR), finished)
    lead_finished[idx] = finished
    co_end = np.maximum(lead_finished[c], co_signed[c] + 2 * HOUR)
    co_finished[c] = co_signed[c] + ((co_end - co_signed[c]) * (0.3 + 0.6 * rng.random(len(c)))).astype(np.int64)
    lead_finished[c] = np.maximum(lead_finished[c], co_finished[c] + _lognormal(rng, HOUR, 0.5, len(c), DAY))

    progress = rng.choice(3, size=n, p=[0.5, 0.35, 0.15])
    span = lead_finished - lead_signed
    m = D & (progress >= 1)
    p1[m] = lead_signed[m] + (span[m] * 0.35).astype(np.int64)
    m = D & (progress >= 2)
    p2[m] = lead_signed[m] + (span[m] * 0.7).astype(np.int64)
    t_verify[idx] = lead_finished[idx] + _lognormal(rng, 20 * HOUR, 0.7, k, 5 * DAY)
    t_feedback[idx] = t_verify[idx] + _lognormal(rng, 18 * HOUR, 0.6, k, 5 * DAY)
    t_close[idx] = t_feedback[idx] + _lognormal(rng, 6 * HOUR, 0.7, k, 3 * DAY)

    # The backlog never signed in: only the pending sign-in clocks are left.
    for arr in (lead_signed, co_signed, lead_finished, co_finished, p1, p2, t_verify, t_feedback, t_close):
        arr[in_backlog] = NONE

    # -- cut at the anchor ------------------------------------------------------------------------
    times = {
        "t_rm": t_rm,
        "t_resolve": t_resolve,
        "t_accept": t_accept,
        "t_escalate": t_escalate,
        "t_ret_dispatch": t_ret_dispatch,
        "t_ret": t_ret,
        "t_dispatch": t_dispatch,
        "lead_signed": lead_signed,
        "lead_finished": lead_finished,
        "co_signed": co_signed,
        "co_finished": co_finished,
        "p1": p1,
        "p2": p2,
        "t_ext_req": t_ext_req,
        "t_ext_dec": t_ext_dec,
        "t_verify": t_verify,
        "t_feedback": t_feedback,
        "t_close": t_close,
    }
    for name, arr in times.items():
        times[name] = _cut(arr, A)
    t = times
    dispatched = t["t_dispatch"] != NONE
    has_co &= dispatched
    returned &= t["t_ret"] != NONE

    # -- assignment states, alerts (the sweep ran until the anchor, except for the backlog) -----------
    lead_status = np.where(t["lead_signed"] == NONE, 0, np.where(t["lead_finished"] == NONE, 1, 2))
    co_status = np.where(t["co_signed"] == NONE, 0, np.where(t["co_finished"] == NONE, 1, 2))

    def alerts(signed, finished, warn_s, dead_s, warn_h, dead_h, present):
        stop_sign = np.minimum(signed, A)
        sy = np.where(present & (warn_s < stop_sign), warn_s, NONE)
        sr = np.where(present & (dead_s < stop_sign), dead_s, NONE)
        stop_handle = np.minimum(finished, A)
        running = present & (signed != NONE)
        hy_at = np.maximum(warn_h, signed)
        hr_at = np.maximum(dead_h, signed)
        hy = np.where(running & (hy_at < stop_handle), hy_at, NONE)
        hr = np.where(running & (hr_at < stop_handle), hr_at, NONE)
        return sy, sr, hy, hr

    l_sy, l_sr, l_hy, l_hr = alerts(
        t["lead_signed"], t["lead_finished"], sign_warn, sign_deadline, handle_warn, handle_deadline, dispatched
    )
    c_sy, c_sr, c_hy, c_hr = alerts(
        t["co_signed"], t["co_finished"], sign_warn, sign_deadline, handle_warn0, handle_deadline0, has_co
    )
    # The backlog: the sweep stopped before the sign-in limit lapsed; it had warned 60 % of them.
    warned = in_backlog & (rng.random(n) < 0.6)
    for sy, sr, hy, hr in ((l_sy, l_sr, l_hy, l_hr), (c_sy, c_sr, c_hy, c_hr)):
        sy[in_backlog] = np.where(warned[in_backlog], sign_warn[in_backlog], NONE)
        sr[in_backlog] = NONE
        hy[in_backlog] = NONE
        hr[in_backlog] = NONE
    c_sy[~has_co] = NONE

    def level(yellow, red):
        return np.where(red != NONE, 2, np.where(yellow != NONE, 1, 0))

    lead_sign_alert, lead_handle_alert = level(l_sy, l_sr), level(l_hy, l_hr)
    co_sign_alert, co_handle_alert = level(c_sy, c_sr), level(c_hy, c_hr)

    def next_look(status_pending, status_signed, sign_alert, handle_alert, hw, hd):
        """disputes.deadlines.next_look."""
        pending_next = np.where(sign_alert == 0, np.minimum(sign_warn, sign_deadline), sign_deadline)
        pending_next = np.where(sign_alert == 2, NONE, pending_next)
        signed_next = np.where(handle_alert == 0, np.minimum(hw, hd), hd)
        signed_next = np.where(handle_alert == 2, NONE, signed_next)
        return np.where(status_pending, pending_next, np.where(status_signed, signed_next, NONE))

    lead_next = np.where(
        dispatched,
        next_look(lead_status == 0, lead_status == 1, lead_sign_alert, lead_handle_alert, handle_warn, handle_deadline),
        NONE,
    )
    co_next = np.where(
        has_co,
        next_look(co_status == 0, co_status == 1, co_sign_alert, co_handle_alert, handle_warn0, handle_deadline0),
        NONE,
    )
    lead_overdue = (l_sr != NONE) | (l_hr != NONE)
    co_overdue = (c_sr != NONE) | (c_hr != NONE)

    # Red escalates the case from the town center to the district center, once.
    first_red = np.minimum.reduce([l_sr, l_hr, c_sr, c_hr])
    manual_done = t["t_escalate"] != NONE
    auto = ~manual_done & (first_red != NONE)
    t_escalate_final = np.where(auto, first_red, t["t_escalate"])
    esc_auto = auto.astype(np.int64)
    escalated = t_escalate_final != NONE
    center = np.where(escalated, world.district_id, world.town_ids[town])

    # -- case state at the anchor -----------------------------------------------------------------
    status = np.full(n, ST["reported"], dtype=np.int64)
    m = flow == FLOW_REJECT
    status[m & (t["t_rm"] != NONE)] = ST["rejected"]
    m = flow == FLOW_MERGE
    status[m & (t["t_rm"] != NONE)] = ST["merged"]
    m = flow == FLOW_ONSITE
    status[m & (t["t_resolve"] != NONE)] = ST["verified"]
    status[m & (t["t_close"] != NONE)] = ST["closed"]
    m = D
    status[m & (t["t_accept"] != NONE)] = ST["accepted"]
    status[m & dispatched] = ST["dispatched"]
    status[m & (t["lead_signed"] != NONE)] = ST["in_progress"]
    status[m & (t["lead_finished"] != NONE)] = ST["handled"]
    status[m & (t["t_verify"] != NONE)] = ST["verified"]
    status[m & (t["t_close"] != NONE)] = ST["closed"]

    satisfaction = np.where(t["t_feedback"] != NONE, rng.choice([1, 2, 3], size=n, p=[0.78, 0.15, 0.07]), 0)
    ext_status = np.where(t["t_ext_req"] == NONE, 0, np.where(t["t_ext_dec"] == NONE, 1, np.where(approved, 2, 3)))
    closed_at = np.where(np.isin(status, [ST["rejected"], ST["merged"]]), t["t_rm"], t["t_close"])
    handled_at = np.where(flow == FLOW_ONSITE, t["t_resolve"], t["lead_finished"])
    lead_active = dispatched & (lead_status < 2)
    co_active = has_co & (co_status < 2)
    lead_clock = np.where(lead_status == 0, sign_deadline, handle_deadline)
    co_clock = np.where(co_status == 0, sign_deadline, handle_deadline0)
    case_next = np.minimum(np.where(lead_active, lead_clock, NONE), np.where(co_active, co_clock, NONE))
    case_next = np.where(np.isin(status, [ST["closed"]]), NONE, case_next)
    overdue = lead_overdue | co_overdue

    stack = [created] + [arr for arr in t.values()] + [t_escalate_final]
    updated_at = np.max(np.where(np.stack(stack) == NONE, 0, np.stack(stack)), axis=0)

    ext_days = np.where(t["t_ext_req"] != NONE, ext_days, 0)
    center_actor = world.town_staff[town]
    lookup = np.zeros(max(world.dept_staff) + 1, dtype=np.int64)
    lookup[list(world.dept_staff)] = list(world.dept_staff.values())

    def staff(departments):
        return lookup[departments]

    p.update(
        created=created,
        cat=world.cat_ids[cat],
        area=world.mg_ids[mg],
        town=world.town_ids[town],
        center=center,
        urgency=urgency,
        source=source,
        reporter=reporter,
        lat=lat,
        lng=lng,
        flow=flow,
        status=status,
        satisfaction=satisfaction,
        variant=variant,
        return_count=returned.astype(np.int64),
        overdue=overdue.astype(np.int64),
        closed_at=closed_at,
        handled_at=handled_at,
        updated_at=updated_at,
        case_sign_deadline=np.where(dispatched, sign_deadline, NONE),
        case_handle_deadline=np.where(dispatched, handle_deadline, NONE),
        case_next=case_next,
        t_escalate=t_escalate_final,
        esc_auto=esc_auto,
        center_actor=center_actor,
        ret_dept=np.where(returned, ret_dept, 0),
        ret_actor=np.where(returned, staff(ret_dept), 0),
        ret_reason=rng.integers(0, len(RETURN_REASONS), size=n),
        ret_sign_deadline=np.where(returned, ret_sign_deadline, NONE),
        ret_handle_deadline=np.where(returned, ret_handle_deadline, NONE),
        ret_sign_warn=np.where(returned, ret_sign_warn, NONE),
        ret_handle_warn=np.where(returned, ret_handle_warn, NONE),
        sign_deadline=np.where(dispatched, sign_deadline, NONE),
        handle_deadline0=np.where(dispatched, handle_deadline0, NONE),
        handle_deadline=np.where(dispatched, handle_deadline, NONE),
        sign_warn=np.where(dispatched, sign_warn, NONE),
        handle_warn0=np.where(dispatched, handle_warn0, NONE),
        handle_warn=np.where(dispatched, handle_warn, NONE),
        lead_dept=np.where(dispatched, lead_dept, 0),
        lead_actor=np.where(dispatched, staff(lead_dept), 0),
        lead_status=lead_status,
        lead_sign_alert=lead_sign_alert,
        lead_handle_alert=lead_handle_alert,
        lead_overdue=lead_overdue.astype(np.int64),
        lead_next=lead_next,
        l_sy=l_sy,
        l_sr=l_sr,
        l_hy=l_hy,
        l_hr=l_hr,
        co_dept=np.where(has_co, co_dept, 0),
        co_actor=np.where(has_co, staff(co_dept), 0),
        co_status=co_status,
        co_sign_alert=co_sign_alert,
        co_handle_alert=co_handle_alert,
        co_overdue=co_overdue.astype(np.int64),
        co_next=co_next,
        c_sy=c_sy,
        c_sr=c_sr,
        c_hy=c_hy,
        c_hr=c_hr,
        ext_days=ext_days,
        ext_status=ext_status,
        in_backlog=in_backlog,
        dispatched=dispatched,
        has_co=has_co,
        returned=returned,
    )
    p.update(t)
    # Per-day case numbers (YYYYMMDD-NNNN), in order of creation, over the whole plan.
    order = np.argsort(created, kind="stable")
    day_of = local_day_number(created)
    sorted_days = day_of[order]
    first_of_day = np.searchsorted(sorted_days, sorted_days, side="left")
    seq = np.empty(n, dtype=np.int64)
    seq[order] = np.arange(n) - first_of_day + 1
    p["seq"] = seq
    p["day"] = day_of
    return p
