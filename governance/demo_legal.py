"""Public legal services for the demo district, at Haimen's and Jiuyuan's ratios:

- a village legal adviser for every village (一村一法律顾问: one lawyer for two villages of a town,
  with a term, duty hours and a service log);
- about one legal-savvy resident (法律明白人) per 100 residents, with training records;
- the service points: Jiuyuan's 14 judge workstations and 29 contact points, a shared court and a
  public legal-service station per town, and terminals;
- model law-abiding households (about one per 100 residents) and a model village per town;
- a year of consultations, legal aid at every stage (open ones with running review clocks) and
  普法 events (50+ events, about 30,000 leaflets, about 50,000 people, a few still to come);
- the eligibility rules of legal aid.

Written in bulk (as an import would be), each part skipped when it exists already: idempotent.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from grids.models import Area, Household, Level, Resident, User
from legal_services.models import (
    AdviserLog,
    AdviserLogKind,
    AidApplication,
    AidEvent,
    AidEventKind,
    AidStatus,
    Consultation,
    ConsultationChannel,
    ConsultationStatus,
    EligibilityRule,
    LawEvent,
    LawTopic,
    Lawyer,
    LegalSavvyResident,
    MatterKind,
    ModelHousehold,
    ModelVillage,
    ModelVillageLevel,
    RuleKind,
    ServicePoint,
    ServicePointKind,
    SpecialGroup,
    TrainingRecord,
)
from legal_services.services import _review_clock

SEED = 20261130
CONSULTATIONS = 480
AID_APPLICATIONS = 96
EVENTS = 55
FIRMS = ["九原律师事务所", "包头正大律师事务所", "鹿城律师事务所", "北疆律师事务所", "昆都仑律师事务所"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "建国华明丽娜伟芳军静磊洋勇艳杰涛超霞平刚"
QUESTIONS = {
    MatterKind.WAGES: "工程完工半年,包工头一直拖欠工资,应该怎么维权?",
    MatterKind.LABOUR: "公司未签劳动合同就辞退我,能要求赔偿吗?",
    MatterKind.MARRIAGE_FAMILY: "协议离婚后对方不按约定支付抚养费怎么办?",
    MatterKind.LAND: "土地承包经营权流转合同到期后对方不归还土地。",
    MatterKind.NEIGHBOUR: "邻居加盖房屋挡住我家采光,可以要求拆除吗?",
    MatterKind.DEBT: "借给亲戚的钱有借条但对方一直不还。",
    MatterKind.TRAFFIC: "电动车被汽车撞伤,保险公司赔偿标准是多少?",
    MatterKind.INHERITANCE: "父母去世未留遗嘱,房屋如何继承?",
    MatterKind.SUPPORT: "子女不履行赡养义务,老人如何主张赡养费?",
    MatterKind.CONSUMER: "网购商品有质量问题,商家拒绝退货。",
}
ANSWER = "已告知相关法律规定和维权途径,建议先行协商,协商不成可申请调解或向法院起诉。"
EVENT_PLACES = ["村委会广场", "社区文化活动中心", "集贸市场", "中心学校", "镇政府会议室", "新时代文明实践站"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def _village_of(path: str, villages: dict[str, Area]) -> Area:
    return villages[[c for c in path.split("/") if c][2]]


def seed_demo_legal(*, users: dict[str, User], progress: Callable[[str], None], seed: int = SEED) -> int:
    """Fill the legal-services registries and a year of services. Returns the rows created."""
    rng = random.Random(seed)
    created = 0
    created += _rules(progress)
    created += _registry(users, rng, progress)
    created += _history(users, rng, progress)
    return created


def _rules(progress) -> int:
    if EligibilityRule.objects.exists():
        return 0
    rules = [
        EligibilityRule(kind=RuleKind.INCOME, name="经济困难标准(低保标准的 1.5 倍)", income_threshold=Decimal("1500"))
    ]
    rules += [
        EligibilityRule(kind=RuleKind.MATTER, name=f"援助事项:{MatterKind(m).label}", matter=m)
        for m in (
            MatterKind.WAGES,
            MatterKind.LABOUR,
            MatterKind.MARRIAGE_FAMILY,
            MatterKind.SUPPORT,
            MatterKind.TRAFFIC,
            MatterKind.MEDICAL,
            MatterKind.CRIMINAL,
        )
    ]
    rules += [
        EligibilityRule(kind=RuleKind.SPECIAL_GROUP, name=f"免审群体:{SpecialGroup(g).label}", special_group=g)
        for g in (
            SpecialGroup.MINOR,
            SpecialGroup.ELDERLY,
            SpecialGroup.DISABLED,
            SpecialGroup.VETERAN,
            SpecialGroup.MIGRANT_WORKER,
            SpecialGroup.LOW_INCOME,
        )
    ]
    EligibilityRule.objects.bulk_create(rules)
    progress(f"legal aid rules: {len(rules)}")
    return len(rules)


def _registry(users, rng: random.Random, progress) -> int:
    if Lawyer.objects.exists():
        progress("legal registry: kept the existing one")
        return 0
    today = timezone.localdate()
    towns = list(Area.objects.filter(level=Level.TOWN).order_by("code"))
    villages = {v.code: v for v in Area.objects.filter(level=Level.VILLAGE).order_by("code")}
    district = Area.objects.get(level=Level.DISTRICT)
    count = 0

    # 一村一法律顾问: a lawyer for every two villages of a town, and two lawyers of the district's
    # legal-aid centre.
    lawyers, links = [], []
    seq = 0
    for town in towns:
        mine = [v for v in villages.values() if v.parent_id == town.pk]
        for i in range(0, len(mine), 2):
            seq += 1
            lawyer = Lawyer(
                name=_name(rng),
                firm=rng.choice(FIRMS),
                licence_no=f"115022{seq:011d}",
                phone=f"13{rng.randint(100000000, 999999999)}",
                area=town,
                area_path=town.path,
                term_from=date(today.year, 1, 1),
                term_to=date(today.year + 1, 12, 31),
                duty_hours=rng.choice(["每周三上午", "每周二、周四下午", "每月第一、三周周五"]),
            )
            lawyers.append(lawyer)
            links.append((lawyer, mine[i : i + 2]))
    for _n in range(2):
        seq += 1
        lawyers.append(
            Lawyer(
                name=_name(rng),
                firm="九原区法律援助中心",
                licence_no=f"115022{seq:011d}",
                area=district,
                area_path=district.path,
            )
        )
    Lawyer.objects.bulk_create(lawyers)
    lawyers = list(Lawyer.objects.order_by("licence_no"))
    by_licence = {lw.licence_no: lw for lw in lawyers}
    through = Lawyer.villages.through
    rows, logs = [], []
    for lawyer, served in links:
        saved = by_licence[lawyer.licence_no]
        for village in served:
            rows.append(through(lawyer_id=saved.pk, area_id=village.pk))
            for _ in range(4):
                logs.append(
                    AdviserLog(
                        lawyer=saved,
                        village=village,
                        area_path=village.path,
                        happened_on=today - timedelta(days=rng.randint(1, 360)),
                        kind=rng.choice(AdviserLogKind.values),
                        note=rng.choice(["驻村接待群众咨询", "审核村规民约", "审查土地流转合同", "参与邻里纠纷调解"]),
                    )
                )
    through.objects.bulk_create(rows)
    AdviserLog.objects.bulk_create(logs)
    count += len(lawyers) + len(rows) + len(logs)

    # 法律明白人: about one per 100 residents, with two trainings each.
    residents = list(Resident.objects.order_by("id").only("id", "area_path"))
    chosen = rng.sample(residents, max(1, len(residents) // 100)) if residents else []
    savvy = [
        LegalSavvyResident(
            resident_id=r.pk,
            village=_village_of(r.area_path, villages),
            area_path=_village_of(r.area_path, villages).path,
            since=today - timedelta(days=rng.randint(30, 700)),
        )
        for r in chosen
    ]
    LegalSavvyResident.objects.bulk_create(savvy)
    savvy = list(LegalSavvyResident.objects.all())
    trainings = [
        TrainingRecord(
            savvy=s,
            held_on=today - timedelta(days=rng.randint(1, 360)),
            hours=Decimal(rng.choice(["2.0", "3.0", "4.0"])),
            topic=rng.choice(["民法典进农村", "人民调解实务", "反电信网络诈骗", "农村土地承包法"]),
        )
        for s in savvy
        for _ in range(2)
    ]
    TrainingRecord.objects.bulk_create(trainings)
    count += len(savvy) + len(trainings)

    # Service points (Jiuyuan: 14 judge workstations, 29 contact points), at village centroids.
    village_list = list(villages.values())
    points = []
    for kind, how_many, label in (
        (ServicePointKind.JUDGE_WORKSTATION, 14, "法官工作站"),
        (ServicePointKind.CONTACT_POINT, 29, "法官联系点"),
        (ServicePointKind.TERMINAL, 12, "公共法律服务终端"),
    ):
        for i, village in enumerate(rng.sample(village_list, how_many)):
            points.append(_point(kind, f"{village.name}{label}", village, i))
    for i, town in enumerate(towns):
        points.append(_point(ServicePointKind.SHARED_COURT, f"{town.name}共享法庭", town, i))
        points.append(_point(ServicePointKind.STATION, f"{town.name}公共法律服务工作站", town, i))
    ServicePoint.objects.bulk_create(points)
    count += len(points)

    # Model households (about one per 100 residents) and one model village per town, this year.
    households = list(
        Household.objects.select_related("micro_grid").order_by("id")[: max(1, len(residents) // 100) * 3]
    )
    heads = {
        r.household_id: r.name for r in Resident.objects.filter(household__in=households).order_by("household_id", "id")
    }
    model_households = [
        ModelHousehold(
            household=h,
            head_name=heads.get(h.pk, h.number),
            village=_village_of(h.micro_grid.path, villages),
            area_path=_village_of(h.micro_grid.path, villages).path,
            year=today.year,
        )
        for h in households[::3]
    ]
    ModelHousehold.objects.bulk_create(model_households)
    model_villages = [
        ModelVillage(village=v, area_path=v.path, year=today.year, level=rng.choice(ModelVillageLevel.values))
        for town in towns
        for v in [next(v for v in village_list if v.parent_id == town.pk)]
    ]
    ModelVillage.objects.bulk_create(model_villages)
    count += len(model_households) + len(model_villages)
    progress(
        f"legal registry: {len(lawyers)} lawyers for {len(rows)} villages, {len(savvy)} legal-savvy residents, "
        f"{len(points)} service points, {len(model_households)} model households"
    )
    return count


def _point(kind: str, name: str, area: Area, i: int) -> ServicePoint:
    return ServicePoint(
        name=name,
        kind=kind,
        area=area,
        area_path=area.path,
        address=area.name,
        lat=area.centroid_lat or 40.6,
        lng=area.centroid_lng or 109.9,
    )


def _history(users, rng: random.Random, progress) -> int:
    if Consultation.objects.exists() or AidApplication.objects.exists():
        progress("legal history: kept the existing one")
        return 0
    now = timezone.now()
    staff = users.get("legal") or users["admin"]
    other = users["admin"]
    micro_grids = list(Area.objects.filter(level=Level.MICRO_GRID).only("id", "path"))
    town1 = Area.objects.filter(level=Level.TOWN).order_by("code").first()
    town1_micro = [m for m in micro_grids if m.path.startswith(town1.path)]
    villages = list(Area.objects.filter(level=Level.VILLAGE).only("id", "path", "name"))
    lawyers = list(Lawyer.objects.only("id", "area_path", "name", "firm"))

    def place(share_town1: float = 0.4):
        return rng.choice(town1_micro if rng.random() < share_town1 else micro_grids)

    consultations = []
    for _ in range(CONSULTATIONS):
        area = place()
        topic = rng.choice(list(QUESTIONS))
        asked = now - timedelta(days=rng.uniform(0, 365))
        answered = rng.random() < 0.93 or asked < now - timedelta(days=3)
        consultations.append(
            Consultation(
                area=area,
                area_path=area.path,
                topic=topic,
                question=QUESTIONS[topic],
                answer=ANSWER if answered else "",
                channel=rng.choice(ConsultationChannel.values),
                name=_name(rng),
                status=ConsultationStatus.ANSWERED if answered else ConsultationStatus.OPEN,
                asked_at=asked,
                recorded_by=staff if area.path.startswith(town1.path) else other,
                answered_by=(staff if area.path.startswith(town1.path) else other) if answered else None,
                answered_at=asked + timedelta(minutes=20) if answered else None,
            )
        )
    Consultation.objects.bulk_create(consultations, batch_size=500)

    applications, plans = [], []
    for i in range(AID_APPLICATIONS):
        area = place(0.5)
        by = staff if area.path.startswith(town1.path) else other
        # Most of the year is finished work; the last few weeks still have open reviews.
        applied = now - timedelta(days=rng.uniform(0, 365) if i >= 8 else rng.uniform(0, 8))
        matter = rng.choice(
            [MatterKind.WAGES, MatterKind.LABOUR, MatterKind.MARRIAGE_FAMILY, MatterKind.SUPPORT, MatterKind.CONTRACT]
        )
        deadline, warn = _review_clock(applied)
        if i < 8:
            status = AidStatus.APPLIED if i % 2 else AidStatus.REVIEWING
        else:
            status = rng.choices(
                [AidStatus.CLOSED, AidStatus.ASSIGNED, AidStatus.APPROVED, AidStatus.REFUSED], [60, 20, 5, 15]
            )[0]
        nearby = [lw for lw in lawyers if area.path.startswith(lw.area_path)] or lawyers
        lawyer = rng.choice(nearby) if status in (AidStatus.ASSIGNED, AidStatus.CLOSED) else None
        decided = applied + timedelta(days=rng.uniform(1, 6)) if i >= 8 else None
        assigned = decided + timedelta(days=1) if lawyer else None
        closed = assigned + timedelta(days=rng.uniform(20, 60)) if status == AidStatus.CLOSED else None
        if closed and closed > now:
            status, closed = AidStatus.ASSIGNED, None
        application = AidApplication(
            number=f"FY{timezone.localdate(applied):%Y%m%d}-{i + 1:05d}",
            matter=matter,
            reason=QUESTIONS.get(matter, "申请法律援助"),
            name=_name(rng),
            monthly_income=Decimal(rng.randint(600, 2600)),
            special_group=rng.choice(["", "", "", SpecialGroup.ELDERLY, SpecialGroup.MIGRANT_WORKER]),
            status=status,
            area=area,
            area_path=area.path,
            applied_at=applied,
            created_by=by,
            review_deadline=deadline,
            review_warn_at=warn,
            decided_at=decided,
            refuse_reason="不属于法律援助事项范围" if status == AidStatus.REFUSED else "",
            lawyer=lawyer,
            assigned_at=assigned,
            outcome="经调解达成协议,已履行完毕" if closed else "",
            closed_at=closed,
        )
        applications.append(application)
        plans.append((application, by))
    AidApplication.objects.bulk_create(applications)
    saved = {a.number: a for a in AidApplication.objects.all()}
    events = []
    for application, by in plans:
        a = saved[application.number]
        steps = [(AidEventKind.APPLY, a.applied_at, "", AidStatus.APPLIED, {})]
        if a.status != AidStatus.APPLIED:
            steps.append(
                (AidEventKind.REVIEW, a.applied_at + timedelta(hours=2), AidStatus.APPLIED, AidStatus.REVIEWING, {})
            )
        if a.decided_at:
            kind, to = (
                (AidEventKind.REFUSE, AidStatus.REFUSED)
                if a.status == AidStatus.REFUSED
                else (AidEventKind.APPROVE, AidStatus.APPROVED)
            )
            steps.append((kind, a.decided_at, AidStatus.REVIEWING, to, {}))
        if a.assigned_at:
            data = {"lawyer_id": a.lawyer_id, "lawyer_name": a.lawyer.name, "firm": a.lawyer.firm}
            steps.append((AidEventKind.ASSIGN, a.assigned_at, AidStatus.APPROVED, AidStatus.ASSIGNED, data))
        if a.closed_at:
            steps.append((AidEventKind.CLOSE, a.closed_at, AidStatus.ASSIGNED, AidStatus.CLOSED, {}))
        events += [
            AidEvent(application=a, kind=k, actor=by, from_status=f, to_status=t, data=d, created_at=when)
            for k, when, f, t, d in steps
        ]
    AidEvent.objects.bulk_create(events, batch_size=500)

    law_events = []
    today = timezone.localdate(now)
    town1_villages = [v for v in villages if v.path.startswith(town1.path)]
    for i in range(EVENTS):
        # Half of them (and all those still to come) in town 1, where the demo user works.
        village = rng.choice(town1_villages if i < 5 or rng.random() < 0.5 else villages)
        # A few events still to come, so the calendar and the workbench have something ahead.
        held = today + timedelta(days=rng.randint(1, 25)) if i < 5 else today - timedelta(days=rng.randint(0, 364))
        law_events.append(
            LawEvent(
                held_on=held,
                place=rng.choice(EVENT_PLACES),
                organiser="司法所",
                topic=rng.choice(LawTopic.values),
                title="",
                audience=rng.randint(300, 1500),
                materials=rng.randint(200, 900),
                area=village,
                area_path=village.path,
                recorded_by=staff if village.path.startswith(town1.path) else other,
            )
        )
    LawEvent.objects.bulk_create(law_events)
    progress(
        f"legal history: {len(consultations)} consultations, {len(applications)} aid applications, {len(law_events)} events"
    )
    return len(consultations) + len(applications) + len(events) + len(law_events)
