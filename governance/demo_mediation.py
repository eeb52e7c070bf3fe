"""Dispute mediation in the demo district: a people's mediation committee in every village and
town, the district's specialised bodies, a court link, a police-station room, a petition
committee, a lawyer room and a personal studio; mediators (the demo user `mediator` mediates for
town 1's committee); a year of disputes with sessions, agreements, referrals and follow-ups; and
monthly screening reports with some villages missing.

Idempotent: bodies and users by code and username; disputes and screening reports only when none
exist. The history is written directly (as an import of past records would be), with the fields
the services set and a timeline event for every step.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from disputes import deadlines
from disputes.mediation.models import (
    Agreement,
    Dispute,
    DisputeEvent,
    DisputeNumberSequence,
    DisputeStatus,
    FollowUp,
    MediationOrg,
    MediationSession,
    MediationSettings,
    Mediator,
    OrgKind,
    Party,
    Referral,
    ReferralTarget,
    ScreeningReport,
)
from disputes.worktime import WorkingCalendar
from grids.models import Area, Building, Household, Level, Membership, Resident, Role, User

DISPUTE_COUNT = 360
DAYS = 365
SPECIALISED = [
    ("labour", "九原区劳动人事争议调解委员会", ["labour"]),
    ("medical", "九原区医疗纠纷人民调解委员会", ["medical"]),
    ("traffic", "九原区道路交通事故纠纷调解委员会", ["traffic"]),
    ("property", "九原区物业纠纷人民调解委员会", ["property_management"]),
    ("consumer", "九原区消费纠纷调解委员会", ["consumer"]),
    ("school", "九原区校园纠纷调解委员会", ["school"]),
    ("environment", "九原区环境纠纷调解委员会", ["environment"]),
    ("family", "九原区婚姻家庭纠纷调解委员会", ["marriage_family"]),
]
OTHER_BODIES = [
    ("court-link", "九原区人民法院诉调对接中心", OrgKind.COURT_LINK, []),
    ("petition", "九原区访调对接人民调解委员会", OrgKind.PETITION, []),
    ("lawyer-room", "九原区律师调解室", OrgKind.LAWYER_ROOM, []),
]
SUMMARIES = {
    "marriage_family": "夫妻因子女抚养和赡养老人问题多次争吵",
    "neighbour": "楼上卫生间漏水,楼下天花板受损,双方争执",
    "land_property": "宅基地边界不清,两户因院墙位置发生争执",
    "labour": "务工人员反映工程完工后工资未结清",
    "medical": "患者家属对诊疗结果有异议,要求赔偿",
    "traffic": "两车剐蹭,对责任划分和赔偿金额有争议",
    "property_management": "业主对物业费上涨不满,拒交物业费",
    "consumer": "购买的家电质量问题,商家拒绝退换",
    "school": "学生课间受伤,家长与学校就责任发生争议",
    "environment": "饭店油烟扰民,周边居民多次反映",
    "other": "居民之间因借款归还发生纠纷",
}
KIND_WEIGHTS = {
    "neighbour": 24,
    "marriage_family": 18,
    "land_property": 12,
    "labour": 12,
    "property_management": 9,
    "traffic": 7,
    "consumer": 6,
    "medical": 3,
    "school": 2,
    "environment": 3,
    "other": 4,
}
SURNAMES = list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗")
GIVEN = "建国 秀英 桂兰 志强 海燕 文军 丽娟 永红 晓东 国华 玉梅 春生 金花 德明 宏伟".split()

Progress = Callable[[str], None]


def seed_demo_mediation(*, users: dict[str, User], progress: Progress, seed: int = 20261130) -> dict[str, int]:
    created: dict[str, int] = {}
    MediationSettings.current()
    created["mediation_orgs"] = _seed_bodies(progress)
    created["mediators"] = _seed_mediators(users, progress)
    created["buildings"] = _seed_buildings(progress)
    created["disputes"] = _seed_disputes(users, progress, random.Random(seed))
    created["screenings"] = _seed_screenings(users, progress, random.Random(seed + 1))
    return created


def _town1() -> Area:
    return Area.objects.filter(level=Level.TOWN).order_by("code").first()


def _seed_bodies(progress: Progress) -> int:
    district = Area.objects.get(level=Level.DISTRICT)
    towns = list(Area.objects.filter(level=Level.TOWN).order_by("code"))
    wanted: list[MediationOrg] = []
    for town in towns:
        wanted.append(
            MediationOrg(
                code=f"tc-{town.code}", name=f"{town.name}人民调解委员会", kind=OrgKind.TOWN_COMMITTEE, area=town
            )
        )
        short = town.name.removesuffix("街道").removesuffix("镇").removesuffix("苏木")
        wanted.append(
            MediationOrg(
                code=f"police-{town.code}", name=f"{short}派出所警调对接室", kind=OrgKind.POLICE_ROOM, area=town
            )
        )
    for village in Area.objects.filter(level=Level.VILLAGE).order_by("code"):
        wanted.append(
            MediationOrg(
                code=f"vc-{village.code}",
                name=f"{village.name}人民调解委员会",
                kind=OrgKind.VILLAGE_COMMITTEE,
                area=village,
            )
        )
    for code, name, handles in SPECIALISED:
        wanted.append(
            MediationOrg(code=f"sp-{code}", name=name, kind=OrgKind.SPECIALISED, area=district, handles=handles)
        )
    for code, name, kind, handles in OTHER_BODIES:
        wanted.append(MediationOrg(code=code, name=name, kind=kind, area=district, handles=handles))
    if towns:
        wanted.append(
            MediationOrg(
                code="studio-1", name="周秀英个人调解工作室", kind=OrgKind.STUDIO, area=towns[0], address=towns[0].name
            )
        )
    existing = set(MediationOrg.objects.filter(code__in=[o.code for o in wanted]).values_list("code", flat=True))
    new = [o for o in wanted if o.code not in existing]
    for o in new:
        o.area_path = o.area.path
    MediationOrg.objects.bulk_create(new, batch_size=500)
    progress(f"mediation bodies: {len(new)} created, {len(wanted)} in all")
    return len(new)


def _seed_mediators(users: dict[str, User], progress: Progress) -> int:
    towns = list(Area.objects.filter(level=Level.TOWN).order_by("code"))
    orgs = {o.code: o for o in MediationOrg.objects.all()}
    plan: list[tuple[str, str, str, bool, str, Area]] = []  # username, name, org code, full time, qualification, area
    for i, town in enumerate(towns, start=1):
        plan.append((f"mediator_town_{i}", f"{SURNAMES[i]}调解员", f"tc-{town.code}", True, "专职人民调解员", town))
    for i, (code, _name, _handles) in enumerate(SPECIALISED, start=1):
        plan.append(
            (
                f"mediator_specialist_{i}",
                f"{SURNAMES[-i]}{GIVEN[i]}",
                f"sp-{code}",
                False,
                "兼职(律师)",
                towns[0].parent,
            )
        )
    existing = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in plan])}
    unusable = make_password(None)
    new_users = [
        User(username=username, first_name=name, password=unusable)
        for username, name, *_rest in plan
        if username not in existing
    ]
    User.objects.bulk_create(new_users)
    by_name = existing | {u.username: u for u in User.objects.filter(username__in=[u.username for u in new_users])}
    posts = [(by_name[username], orgs[code], full, qual, area) for username, _n, code, full, qual, area in plan]
    if "mediator" in users and towns:
        posts.insert(0, (users["mediator"], orgs[f"tc-{towns[0].code}"], True, "二级人民调解员", towns[0]))
        posts.append((users["mediator"], orgs["studio-1"], True, "个人调解工作室", towns[0]))
    have = set(Mediator.objects.values_list("user_id", "organisation_id"))
    rows = [
        Mediator(user=u, organisation=o, full_time=full, qualification=qual)
        for u, o, full, qual, _area in posts
        if (u.pk, o.pk) not in have
    ]
    Mediator.objects.bulk_create(rows)
    roles = set(Membership.objects.filter(role=Role.MEDIATOR).values_list("user_id", "area_id"))
    Membership.objects.bulk_create(
        [
            Membership(user=u, role=Role.MEDIATOR, area=area)
            for u, _o, _f, _q, area in {(p[0].pk, p[4].pk): p for p in posts}.values()
            if (u.pk, area.pk) not in roles
        ]
    )
    progress(f"mediators: {len(rows)} posts created")
    return len(rows)


def _seed_buildings(progress: Progress) -> int:
    """Buildings in grid_a's grid, with its households in them, so "the same building" can repeat."""
    grid_path = Membership.objects.filter(user__username="grid_a").values_list("area__path", flat=True).first()
    if not grid_path:
        return 0
    micro_grids = list(Area.objects.filter(level=Level.MICRO_GRID, path__startswith=grid_path).order_by("code"))
    have = set(Building.objects.filter(micro_grid__in=micro_grids).values_list("micro_grid_id", flat=True))
    new = [
        Building(micro_grid=m, name=f"{m.name.split('网格')[0]}网格{i}号楼", address=f"{m.name}{i}号楼")
        for i, m in enumerate(micro_grids, start=1)
        if m.pk not in have
    ]
    Building.objects.bulk_create(new)
    for b in Building.objects.filter(micro_grid__in=micro_grids):
        Household.objects.filter(micro_grid_id=b.micro_grid_id, building__isnull=True).update(building=b)
    progress(f"buildings: {len(new)} created in grid_a's grid")
    return len(new)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _seed_disputes(users: dict[str, User], progress: Progress, rng: random.Random) -> int:
    if Dispute.objects.exists():
        progress("disputes: kept the existing ones")
        return 0
    now = timezone.now()
    town1 = _town1()
    micro_grids = list(
        Area.objects.filter(level=Level.MICRO_GRID).only("id", "path", "code", "centroid_lat", "centroid_lng")
    )
    if not micro_grids or town1 is None:
        return 0
    towns = {a.code: a for a in Area.objects.filter(level=Level.TOWN)}
    orgs = {o.code: o for o in MediationOrg.objects.all()}
    posts: dict[int, list[int]] = {}
    for m in Mediator.objects.all():
        posts.setdefault(m.organisation_id, []).append(m.user_id)
    residents_by_micro: dict[int, list[Resident]] = {}
    for r in (
        Resident.objects.filter(household__isnull=False)
        .select_related("household")
        .only("id", "micro_grid_id", "household__building_id")
    ):
        residents_by_micro.setdefault(r.micro_grid_id, []).append(r)
    settings = MediationSettings.current()
    calendar = WorkingCalendar()
    calendar.preload((now - timedelta(days=DAYS + 5)).date(), (now + timedelta(days=90)).date())
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    reporters = {town1.path: users.get("center_town")}
    fallback = users.get("center_district") or users.get("admin")
    grid_a_area = Membership.objects.filter(user__username="grid_a").values_list("area__path", flat=True).first()

    plans = []
    per_day: Counter = Counter()
    for _ in range(DISPUTE_COUNT):
        pool = [m for m in micro_grids if m.path.startswith(town1.path)] if rng.random() < 0.4 else micro_grids
        micro = rng.choice(pool)
        kind = rng.choices(kinds, weights)[0]
        age = rng.uniform(0, DAYS) ** 1.15 / DAYS**0.15  # a little more of it recent
        created = timezone.localtime(now - timedelta(days=age)).replace(
            hour=rng.randint(8, 17), minute=rng.randint(0, 59)
        )
        if created > now:
            created = now - timedelta(minutes=rng.randint(10, 600))
        plans.append((micro, kind, created))
    plans.sort(key=lambda p: p[2])

    disputes: list[Dispute] = []
    extra: list[dict] = []
    for micro, kind, created in plans:
        day = timezone.localdate(created)
        per_day[day] += 1
        town = towns[[c for c in micro.path.split("/") if c][1]]
        village_code = micro.code[:12]
        if kind in {k for _c, _n, handles in SPECIALISED for k in handles} and rng.random() < 0.5:
            org = next(orgs[f"sp-{c}"] for c, _n, handles in SPECIALISED if kind in handles)
        elif rng.random() < 0.55:
            org = orgs.get(f"vc-{village_code}") or orgs[f"tc-{town.code}"]
        else:
            org = orgs[f"tc-{town.code}"]
        age_days = (now - created).days
        mediator_id = rng.choice(posts.get(org.pk) or [None])
        if org.code == f"tc-{town1.code}" and users.get("mediator"):
            mediator_id = users["mediator"].pk
        # Older disputes have run their course; the last weeks are still open.
        roll = rng.random()
        if age_days > 45:
            status = DisputeStatus.CLOSED if roll < 0.9 else DisputeStatus.REFERRED
            agreed = roll < 0.86
        elif age_days > 10:
            status = [DisputeStatus.MEDIATING, DisputeStatus.AGREED, DisputeStatus.CLOSED, DisputeStatus.FAILED][
                min(int(roll * 4), 3)
            ]
            agreed = status in (DisputeStatus.AGREED, DisputeStatus.CLOSED)
        else:
            status = [DisputeStatus.REPORTED, DisputeStatus.ASSIGNED, DisputeStatus.MEDIATING][min(int(roll * 3), 2)]
            agreed = False
        if status == DisputeStatus.REPORTED:
            org, mediator_id = None, None
        amount = (
            Decimal(rng.choice([0, 2000, 5000, 8000, 20000, 50000, 80000, 150000])) if kind != "neighbour" else None
        )
        people = rng.choice([2, 2, 2, 3, 4, 6, 12]) if kind != "labour" else rng.choice([3, 8, 15, 40])
        deadline = calendar.add_working_days(created, settings.deadline_working_days)
        reasons = []
        level = "low"
        if amount is not None and amount >= settings.amount_threshold:
            level, reasons = (
                "high",
                [
                    {
                        "key": "large_amount",
                        "params": {"amount": f"{amount:.2f}", "threshold": f"{settings.amount_threshold:.2f}"},
                    }
                ],
            )
        if people >= settings.group_major_threshold:
            level = "major"
            reasons.append(
                {"key": "group_major", "params": {"people": people, "threshold": settings.group_major_threshold}}
            )
        elif people >= settings.group_threshold:
            level = "high" if level != "major" else level
            reasons.append({"key": "group", "params": {"people": people, "threshold": settings.group_threshold}})
        reporter = users.get("grid_a") if grid_a_area and micro.path.startswith(grid_a_area) else None
        reporter = reporter or reporters.get(town.path) or fallback
        d = Dispute(
            number=f"TJ{day:%Y%m%d}-{per_day[day]:04d}",
            kind=kind,
            summary=SUMMARIES[kind],
            source=rng.choice(
                ["grid_worker", "grid_worker", "screening", "walk_in", "petition", "court_referral", "police_referral"]
            ),
            area=micro,
            area_path=micro.path,
            town=town,
            lat=micro.centroid_lat,
            lng=micro.centroid_lng,
            amount_at_stake=amount,
            people_involved=people,
            status=status,
            organisation=org,
            mediator_id=mediator_id,
            reporter=reporter,
            risk_level=level,
            risk_reasons=reasons,
            deadline=deadline,
            warn_at=deadlines.warn_at(created, deadline, calendar),
            created_at=created,
            updated_at=created,
        )
        step = created
        if org is not None:
            step += timedelta(hours=rng.randint(2, 30))
            d.assigned_at = step
        if status not in (DisputeStatus.REPORTED, DisputeStatus.ASSIGNED):
            step += timedelta(hours=rng.randint(1, 24))
            d.accepted_at = step
        sessions = rng.randint(1, 3) if d.accepted_at else 0
        finished = min(step + timedelta(days=rng.randint(2, 20)), now - timedelta(minutes=5))
        if agreed:
            d.agreed_at = finished
        elif status in (DisputeStatus.FAILED, DisputeStatus.REFERRED):
            d.failed_at = finished
        if status == DisputeStatus.CLOSED:
            d.closed_at = min(finished + timedelta(days=rng.randint(5, 30)), now - timedelta(minutes=1))
        if status in (DisputeStatus.REPORTED, DisputeStatus.ASSIGNED, DisputeStatus.MEDIATING):
            d.deadline_alert = "red" if now >= deadline else ("yellow" if now >= d.warn_at else "")
            if d.deadline_alert:  # leave the first sweep to raise them, with their notices
                d.deadline_alert = ""
        disputes.append(d)
        extra.append({"sessions": sessions, "step": step, "agreed": agreed})
    Dispute.objects.bulk_create(disputes, batch_size=500)
    DisputeNumberSequence.objects.bulk_create([DisputeNumberSequence(day=k, last=v) for k, v in per_day.items()])

    parties, events, sessions, agreements, referrals, follow_ups = [], [], [], [], [], []
    for d, x in zip(disputes, extra, strict=True):
        pool = residents_by_micro.get(d.area_id, [])
        chosen = rng.sample(pool, 2) if len(pool) >= 2 and rng.random() < 0.6 else []
        for role, resident in zip(("applicant", "respondent"), chosen or [None, None], strict=True):
            parties.append(
                Party(
                    dispute=d,
                    role=role,
                    resident=resident,
                    name="" if resident else _name(rng),
                    phone="" if resident else f"139{rng.randint(10000000, 99999999)}",
                )
            )
        if chosen and chosen[0].household.building_id:
            d.building_id = chosen[0].household.building_id
        actor = d.mediator_id
        events.append(
            DisputeEvent(dispute=d, actor=d.reporter, kind="create", to_status="reported", created_at=d.created_at)
        )
        if d.assigned_at:
            events.append(
                DisputeEvent(
                    dispute=d,
                    actor=users.get("center_town") if d.town_id == town1.pk else fallback,
                    kind="assign",
                    from_status="reported",
                    to_status="assigned",
                    created_at=d.assigned_at,
                    data={"organisation": d.organisation_id, "organisation_name": d.organisation.name},
                )
            )
        if d.accepted_at:
            events.append(
                DisputeEvent(
                    dispute=d,
                    actor_id=actor,
                    kind="accept",
                    from_status="assigned",
                    to_status="mediating",
                    created_at=d.accepted_at,
                )
            )
        for n in range(x["sessions"]):
            held = d.accepted_at + timedelta(days=n * 2 + 1, hours=1)
            if held >= timezone.now():
                break
            sessions.append(
                MediationSession(
                    dispute=d,
                    held_at=held,
                    place=f"{d.organisation.name}调解室",
                    attendees="双方当事人、调解员",
                    notes=f"第{n + 1}次调解,听取双方陈述,释法析理。",
                    recorded_by_id=actor or d.reporter_id,
                )
            )
            events.append(
                DisputeEvent(
                    dispute=d,
                    actor_id=actor,
                    kind="session",
                    from_status="mediating",
                    to_status="mediating",
                    created_at=held,
                )
            )
        if d.agreed_at:
            agreements.append(
                Agreement(
                    dispute=d,
                    terms="一、双方自愿达成和解;\n二、一方于十五日内履行赔偿或整改义务;\n三、双方不再就此事发生争执。",
                    signed_at=timezone.localdate(d.agreed_at),
                    court_confirmed=True if rng.random() < 0.2 else None,
                    fulfilled=True if d.status == DisputeStatus.CLOSED else None,
                )
            )
            events.append(
                DisputeEvent(
                    dispute=d,
                    actor_id=actor,
                    kind="agree",
                    from_status="mediating",
                    to_status="agreed",
                    created_at=d.agreed_at,
                )
            )
        if d.failed_at:
            events.append(
                DisputeEvent(
                    dispute=d,
                    actor_id=actor,
                    kind="fail",
                    from_status="mediating",
                    to_status="failed",
                    created_at=d.failed_at,
                    comment="双方分歧较大,未能达成协议",
                )
            )
            if d.status == DisputeStatus.REFERRED:
                to = rng.choice(ReferralTarget.values)
                referrals.append(
                    Referral(
                        dispute=d,
                        to=to,
                        note="引导通过法定途径解决",
                        referred_by_id=actor or d.reporter_id,
                        referred_at=d.failed_at + timedelta(hours=2),
                    )
                )
                events.append(
                    DisputeEvent(
                        dispute=d,
                        actor_id=actor,
                        kind="refer",
                        from_status="failed",
                        to_status="referred",
                        created_at=d.failed_at + timedelta(hours=2),
                        data={"to": to},
                    )
                )
        if d.closed_at:
            visit = d.closed_at - timedelta(hours=3)
            follow_ups.append(
                FollowUp(
                    dispute=d,
                    note="回访当事人,协议已履行,关系和睦",
                    satisfied=True,
                    by_id=actor or d.reporter_id,
                    at=visit,
                )
            )
            events.append(
                DisputeEvent(
                    dispute=d,
                    actor_id=actor,
                    kind="follow_up",
                    from_status=d.status,
                    to_status=d.status,
                    created_at=visit,
                    data={"satisfied": True},
                )
            )
            events.append(
                DisputeEvent(
                    dispute=d,
                    actor_id=actor,
                    kind="close",
                    from_status="agreed",
                    to_status="closed",
                    created_at=d.closed_at,
                )
            )
    Party.objects.bulk_create(parties, batch_size=1000)
    Dispute.objects.bulk_update([d for d in disputes if d.building_id], ["building"], batch_size=500)
    MediationSession.objects.bulk_create(sessions, batch_size=1000)
    Agreement.objects.bulk_create(agreements, batch_size=1000)
    Referral.objects.bulk_create(referrals, batch_size=1000)
    FollowUp.objects.bulk_create(follow_ups, batch_size=1000)
    DisputeEvent.objects.bulk_create(events, batch_size=1000)
    progress(f"disputes: {len(disputes)} with {len(sessions)} sessions and {len(agreements)} agreements")
    return len(disputes)


def _seed_screenings(users: dict[str, User], progress: Progress, rng: random.Random) -> int:
    if ScreeningReport.objects.exists():
        progress("screening reports: kept the existing ones")
        return 0
    today = timezone.localdate()
    month = today.replace(day=1)
    months: list[date] = []
    for _ in range(12):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    villages = list(Area.objects.filter(level=Level.VILLAGE).only("id", "path"))
    reporter = users.get("center_district") or users.get("admin")
    rows = []
    for m in months:
        share = 0.6 if m == months[0] else 0.93  # this month is still being reported
        for v in villages:
            if rng.random() < share:
                found = 0 if rng.random() < 0.55 else rng.randint(1, 6)
                rows.append(
                    ScreeningReport(
                        area=v,
                        area_path=v.path,
                        month=m,
                        disputes_found=found,
                        notes="" if found else "本月无矛盾纠纷(零报告)",
                        reported_by=reporter,
                    )
                )
    ScreeningReport.objects.bulk_create(rows, batch_size=1000)
    progress(f"screening reports: {len(rows)} for {len(months)} months")
    return len(rows)
