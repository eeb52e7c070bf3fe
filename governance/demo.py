"""The demo district: a Jiuyuan-sized territory with departments, categories, residents and demo logins.

Everything is generated from fixed tables and a seeded random generator, so every run plans the
same data; what already exists (by area code, department code, category code, ID number, username)
is left untouched. A second run therefore writes nothing.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from disputes.models import Category, Kind
from governance.demo_cases import seed_demo_cases
from governance.demo_field import seed_demo_field
from governance.demo_legal import seed_demo_legal
from governance.demo_map import seed_map_features
from governance.demo_mediation import seed_demo_mediation
from grids.geo import centroid_of
from grids.models import (
    LEVEL_ORDER,
    Area,
    Department,
    DepartmentKind,
    Gender,
    Household,
    Level,
    Membership,
    Resident,
    Role,
    SpecialPopulation,
    User,
)
from grids.selectors import forget_area_choices
from grids.services import area_path_for, department_create, membership_grant
from grids.validators import normalize_id_number, normalize_phone

Progress = Callable[[str], None]

DISTRICT_CODE = "150207"
DISTRICT_NAME = "九原区"
# West, south, east, north (WGS 84): roughly Jiuyuan district, Baotou.
DISTRICT_BOUNDS = (109.70, 40.50, 110.10, 40.70)
LEVEL_COUNTS = {Level.TOWN: 8, Level.VILLAGE: 88, Level.GRID: 624, Level.MICRO_GRID: 1758}
RESIDENT_COUNT = 3000
SEED = 150207

# (town code suffix, name, short name for departments, kind of its villages)
TOWNS = [
    ("001", "沙河街道", "沙河", "community"),
    ("002", "赛汗街道", "赛汗", "community"),
    ("003", "萨如拉街道", "萨如拉", "community"),
    ("004", "白音席勒街道", "白音席勒", "community"),
    ("101", "麻池镇", "麻池", "village"),
    ("102", "哈林格尔镇", "哈林格尔", "village"),
    ("103", "兴胜镇", "兴胜", "village"),
    ("201", "阿嘎如泰苏木", "阿嘎如泰", "gacha"),
]
COMMUNITY_NAMES = (
    "湖滨 团结 友谊 幸福 和平 建设 光明 新华 阳光 滨河 民主 文明 和谐 康乐 兴旺 振华 星光 景苑 绿苑 明珠 金桥 银河 "
    "朝阳 东兴 西园 南苑 北辰 春晖 秋实 丰泽 瑞祥 万和 锦绣 华庭 怡园 青山 碧水 鹿城 昆都 哈屯 九郡 新都 安居 富康"
).split()
VILLAGE_NAMES = (
    "新光 前进 红星 腮忽洞 打拉亥 尔什 哈业脑包 王大汉 东园 后营 前营 三间房 四间房 新建 民族 永丰 大树湾 小召 万水泉 "
    "沙尔沁 长胜 八犋牛 土合气 刘宝窑子 张家营子 霍家营 毛其来 乌兰计 哈林格尔 边墙壕 贾家营 麻池 兴胜"
).split()
GACHA_NAMES = "乌兰 查干 巴音 宝力格 额尔敦 阿拉坦 塔布 哈达 希日 呼和 沙日".split()
VILLAGE_SUFFIX = {"community": "社区", "village": "村", "gacha": "嘎查"}
# Community codes run 001–199 and rural ones from 200, as in the statistical area codes.
VILLAGE_CODE_START = {"community": 1, "village": 201, "gacha": 201}

DEPARTMENT_KINDS = [
    ("police", "派出所"),
    ("urban", "城管中队"),
    ("judicial", "司法所"),
    ("market", "市场监管所"),
    ("housing", "住建局"),
    ("labour", "人社局"),
    ("health", "卫健委"),
    ("environment", "生态环境局"),
    ("fire", "消防救援站"),
    ("civil", "民政局"),
    ("petition", "信访局"),
]
TOWN_DEPARTMENTS = [("police", "{short}派出所"), ("urban", "{short}城管中队"), ("judicial", "{short}司法所")]
DISTRICT_DEPARTMENTS = [
    ("police", "包头市公安局九原分局"),
    ("urban", "九原区城市管理综合执法局"),
    ("judicial", "九原区司法局"),
    ("market", "九原区市场监督管理局"),
    ("housing", "九原区住房和城乡建设局"),
    ("labour", "九原区人力资源和社会保障局"),
    ("health", "九原区卫生健康委员会"),
    ("environment", "包头市生态环境局九原区分局"),
    ("fire", "九原区消防救援大队"),
    ("civil", "九原区民政局"),
    ("petition", "九原区信访局"),
]


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    kind: str
    department_kinds: tuple[str, ...]
    # Sign-for limit in working hours (normal, urgent, emergency); 7 working hours = 1 working day.
    sign_hours: tuple[float, float, float]
    # Handling limit in working days (normal, urgent, emergency).
    handle_days: tuple[int, int, int]


CATEGORIES = [
    CategorySpec("road_damage", "道路破损", Kind.HAZARD, ("urban", "housing"), (7, 2, 1), (5, 3, 1)),
    CategorySpec("illegal_construction", "违章搭建", Kind.INCIDENT, ("urban", "housing"), (7, 2, 1), (15, 5, 2)),
    CategorySpec("sanitation", "环境卫生", Kind.INCIDENT, ("urban",), (7, 2, 1), (3, 1, 1)),
    CategorySpec("noise", "噪声扰民", Kind.COMPLAINT, ("environment", "police", "urban"), (7, 2, 1), (3, 2, 1)),
    CategorySpec("neighbour_dispute", "邻里纠纷", Kind.DISPUTE, ("judicial", "police"), (7, 2, 1), (10, 5, 2)),
    CategorySpec("wage_arrears", "欠薪讨薪", Kind.DISPUTE, ("labour",), (7, 2, 1), (15, 5, 2)),
    CategorySpec("fire_hazard", "消防隐患", Kind.HAZARD, ("fire", "urban"), (4, 1, 0.5), (3, 1, 1)),
    CategorySpec("public_security", "治安问题", Kind.INCIDENT, ("police",), (4, 1, 0.5), (3, 1, 1)),
    CategorySpec("property_management", "物业纠纷", Kind.DISPUTE, ("housing", "judicial"), (7, 2, 1), (10, 5, 2)),
    CategorySpec("food_safety", "食品安全", Kind.COMPLAINT, ("market",), (4, 2, 1), (5, 3, 1)),
    CategorySpec("pollution", "环境污染", Kind.COMPLAINT, ("environment",), (7, 2, 1), (10, 5, 2)),
    CategorySpec("family_dispute", "婚姻家庭纠纷", Kind.DISPUTE, ("judicial", "civil"), (7, 2, 1), (10, 5, 2)),
    CategorySpec("help_request", "困难求助", Kind.REQUEST, ("civil", "health"), (7, 2, 1), (5, 3, 1)),
    CategorySpec("other", "其他", Kind.INCIDENT, (), (7, 2, 1), (5, 3, 1)),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    who: str


DEMO_LOGINS = [
    DemoLogin("admin", "系统管理员", "superuser"),
    DemoLogin("official", "赵志刚", "official over 九原区 (read-only)"),
    DemoLogin("center_district", "刘敏", "九原区社会治理中心"),
    DemoLogin("center_town", "陈静", "沙河街道综治中心"),
    DemoLogin("dept_police", "张伟", "沙河派出所"),
    DemoLogin("dept_urban", "王磊", "沙河城管中队"),
    DemoLogin("grid_a", "李娜", "grid worker, 沙河街道 first grid"),
    DemoLogin("grid_b", "杨帆", "grid worker, 赛汗街道 first grid"),
    DemoLogin("mediator", "周秀英", "mediator, 沙河街道"),
    DemoLogin("legal", "吴文博", "legal services, 沙河街道"),
]
# The 1+3+N team of grid_a's grid: (username, name, role, on the village rather than the grid, team role).
GRID_TEAM = [
    ("demo_chief", "高建军", Role.GRID_CHIEF, True, "总网格长(社区党组织书记)"),
    ("demo_police_officer", "马骏", Role.GRID_WORKER, False, "社区民警"),
    ("demo_enforcer", "孙浩", Role.GRID_WORKER, False, "综合执法队员"),
    ("demo_legal_savvy", "郭玉兰", Role.LEGAL_STAFF, False, "法律明白人"),
    ("demo_building_head", "何德福", Role.GRID_WORKER, False, "楼栋长"),
]


@dataclass
class SeedResult:
    """How many rows of each kind this run created (all zero on a repeated run)."""

    created: dict[str, int] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(self.created.values())


# --------------------------------------------------------------------------- territory plan

Rect = tuple[float, float, float, float]


@dataclass
class PlannedArea:
    code: str
    name: str
    level: str
    parent_code: str | None
    rect: Rect
    kind: str = ""

    @property
    def boundary(self) -> dict:
        w, s, e, n = self.rect
        return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def spread(total: int, parts: int) -> list[int]:
    """`total` split into `parts` counts that differ by at most one, the larger ones spread evenly."""
    return [(i + 1) * total // parts - i * total // parts for i in range(parts)]


def split_rect(rect: Rect, parts: int) -> list[Rect]:
    """Tile a rectangle with `parts` near-square cells: rows north to south, cells west to east.

    Inner edges are rounded once and shared by both neighbours, outer edges are the parent's own,
    so children tile their parent exactly and no point falls in two siblings' interiors.
    """
    w, s, e, n = rect
    # A degree of longitude is shorter than a degree of latitude at 40.6° N.
    width_km, height_km = (e - w) * 111.32 * math.cos(math.radians(40.6)), (n - s) * 110.57
    rows = min(parts, max(1, round(math.sqrt(parts * height_km / width_km))))

    def edges(lo: float, hi: float, count: int) -> list[float]:
        return [lo] + [round(lo + (hi - lo) * i / count, 6) for i in range(1, count)] + [hi]

    lat_edges = edges(s, n, rows)[::-1]
    cells: list[Rect] = []
    for row, count in enumerate(spread(parts, rows)):
        top, bottom = lat_edges[row], lat_edges[row + 1]
        lng_edges = edges(w, e, count)
        cells.extend((lng_edges[i], bottom, lng_edges[i + 1], top) for i in range(count))
    return cells


def plan_territory() -> list[PlannedArea]:
    """The whole tree, parents before children: 1 district, 8 towns, 88 villages, 624 grids, 1,758 micro-grids."""
    district = PlannedArea(DISTRICT_CODE, DISTRICT_NAME, Level.DISTRICT, None, DISTRICT_BOUNDS)
    planned = [district]
    towns = []
    for (suffix, name, _short, kind), rect in zip(TOWNS, split_rect(DISTRICT_BOUNDS, len(TOWNS)), strict=True):
        towns.append(PlannedArea(f"{DISTRICT_CODE}{suffix}", name, Level.TOWN, DISTRICT_CODE, rect, kind))
    planned += towns

    names = {"community": iter(COMMUNITY_NAMES), "village": iter(VILLAGE_NAMES), "gacha": iter(GACHA_NAMES)}
    villages = []
    for town, count in zip(towns, spread(LEVEL_COUNTS[Level.VILLAGE], len(towns)), strict=True):
        start = VILLAGE_CODE_START[town.kind]
        for i, rect in enumerate(split_rect(town.rect, count)):
            name = next(names[town.kind]) + VILLAGE_SUFFIX[town.kind]
            villages.append(PlannedArea(f"{town.code}{start + i:03d}", name, Level.VILLAGE, town.code, rect, town.kind))
    planned += villages

    grids = []
    for village, count in zip(villages, spread(LEVEL_COUNTS[Level.GRID], len(villages)), strict=True):
        for i, rect in enumerate(split_rect(village.rect, count), start=1):
            grids.append(
                PlannedArea(f"{village.code}{i:02d}", f"{village.name}{i}号网格", Level.GRID, village.code, rect)
            )
    planned += grids

    for grid, count in zip(grids, spread(LEVEL_COUNTS[Level.MICRO_GRID], len(grids)), strict=True):
        for i, rect in enumerate(split_rect(grid.rect, count), start=1):
            planned.append(
                PlannedArea(f"{grid.code}{i:02d}", f"{grid.name}{i}号微网格", Level.MICRO_GRID, grid.code, rect)
            )
    return planned


def _seed_territory(planned: list[PlannedArea], progress: Progress) -> tuple[int, dict[str, Area]]:
    existing = {a.code: a for a in Area.objects.filter(path__startswith=f"{DISTRICT_CODE}/").only("id", "code", "path")}
    missing = [p for p in planned if p.code not in existing]
    if not missing:
        progress(f"territory: {len(existing)} areas already there")
        return 0, existing
    now = timezone.now()
    areas = dict(existing)
    for level in LEVEL_ORDER:
        batch = []
        for p in (p for p in missing if p.level == level):
            parent = areas[p.parent_code] if p.parent_code else None
            boundary = p.boundary
            lat, lng = centroid_of(boundary)
            batch.append(
                Area(
                    code=p.code,
                    name=p.name,
                    level=p.level,
                    parent=parent,
                    path=area_path_for(code=p.code, parent=parent),
                    boundary=boundary,
                    centroid_lat=lat,
                    centroid_lng=lng,
                    # Fresh, so any process's locate index notices the new micro-grids and rebuilds.
                    updated_at=now,
                )
            )
        # Children need their parents' primary keys, which bulk_create returns (SQLite ≥ 3.35, PostgreSQL).
        Area.objects.bulk_create(batch, batch_size=500)
        if batch:
            forget_area_choices()  # bulk writes send no signals
        areas.update({a.code: a for a in batch})
        if batch:
            progress(f"territory: {len(batch)} {level} areas")
    return len(missing), areas


# --------------------------------------------------------------------------- organisations


def _seed_departments(areas: dict[str, Area], progress: Progress) -> tuple[int, int, dict[str, Department]]:
    kinds = {k.code: k for k in DepartmentKind.objects.filter(code__in=[c for c, _ in DEPARTMENT_KINDS])}
    new_kinds = [DepartmentKind(code=code, name=name) for code, name in DEPARTMENT_KINDS if code not in kinds]
    DepartmentKind.objects.bulk_create(new_kinds)
    kinds |= {k.code: k for k in new_kinds}

    wanted: list[tuple[str, str, str, Area]] = []
    for suffix, _name, short, _kind in TOWNS:
        town = areas[f"{DISTRICT_CODE}{suffix}"]
        wanted += [
            (f"{kind}-{town.code}", template.format(short=short), kind, town) for kind, template in TOWN_DEPARTMENTS
        ]
    district = areas[DISTRICT_CODE]
    wanted += [(f"{kind}-{DISTRICT_CODE}", name, kind, district) for kind, name in DISTRICT_DEPARTMENTS]

    departments = {d.code: d for d in Department.objects.filter(code__in=[w[0] for w in wanted])}
    created = 0
    for number, (code, name, kind, area) in enumerate(wanted):
        if code in departments:
            continue
        # Through the service, so each department gets the group that receives case permissions.
        departments[code] = department_create(
            code=code, name=name, kind=kinds[kind], area=area, phone=f"0472-71{number:05d}"
        )
        created += 1
    progress(f"departments: {created} created, {len(departments)} in all")
    return len(new_kinds), created, departments


def _seed_categories(progress: Progress) -> int:
    existing = set(Category.objects.filter(code__in=[c.code for c in CATEGORIES]).values_list("code", flat=True))
    kinds = {k.code: k for k in DepartmentKind.objects.all()}
    created = 0
    for position, spec in enumerate(CATEGORIES, start=1):
        if spec.code in existing:
            continue  # an administrator may have tuned its limits; leave them
        category = Category.objects.create(
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            sign_hours_normal=spec.sign_hours[0],
            sign_hours_urgent=spec.sign_hours[1],
            sign_hours_emergency=spec.sign_hours[2],
            handle_days_normal=spec.handle_days[0],
            handle_days_urgent=spec.handle_days[1],
            handle_days_emergency=spec.handle_days[2],
            position=position * 10,
        )
        category.usual_department_kinds.set([kinds[k] for k in spec.department_kinds])
        created += 1
    progress(f"categories: {created} created")
    return created


# --------------------------------------------------------------------------- residents

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
MALE_CHARS = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
FEMALE_CHARS = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
# Jiuyuan has Mongolian residents, whose names carry no surname.
MONGOLIAN_MALE = ["巴特尔", "额尔敦", "宝音", "朝鲁", "苏和", "巴雅尔", "毕力格", "达来"]
MONGOLIAN_FEMALE = ["其其格", "乌云", "娜仁", "苏日娜", "萨仁", "托娅", "高娃", "斯琴"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156"]
MOBILE_PREFIXES += ["158", "159", "176", "177", "180", "181", "182", "183", "186", "187", "188", "189", "199"]
SPECIAL_KINDS = [v for v in SpecialPopulation.values if v]


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character: ISO 7064 MOD 11-2 over the first 17 digits."""
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(first17))
    return "10X98765432"[total % 11]


@dataclass
class PlannedResident:
    name: str
    id_number: str
    gender: str
    birth_date: date
    phone: str
    micro_grid_code: str
    household_number: str
    address: str
    special_population: str = ""
    key_person: bool = False


def _person(rng: random.Random, gender: str) -> str:
    if rng.random() < 0.03:
        return rng.choice(MONGOLIAN_MALE if gender == Gender.MALE else MONGOLIAN_FEMALE)
    chars = MALE_CHARS if gender == Gender.MALE else FEMALE_CHARS
    return rng.choice(SURNAMES) + "".join(rng.choice(chars) for _ in range(rng.choice((1, 2, 2))))


def plan_residents(planned: list[PlannedArea], count: int = RESIDENT_COUNT, seed: int = SEED) -> list[PlannedResident]:
    """`count` residents in households of one to five, spread over the micro-grids.

    The first households live in the first grid of town 1 (grid_a's), including one person under
    community correction and one key person, so the demo shows sensitive data where it is allowed.
    """
    rng = random.Random(seed)
    by_code = {p.code: p for p in planned}
    micro_grids = [p for p in planned if p.level == Level.MICRO_GRID]
    home_grid = next(p for p in planned if p.level == Level.GRID and p.code.startswith(f"{DISTRICT_CODE}001"))
    home_micro = [p for p in micro_grids if p.parent_code == home_grid.code]
    used_ids: set[str] = set()
    households_in: dict[str, int] = {}
    residents: list[PlannedResident] = []
    today = date(2026, 1, 1)  # fixed, so that the plan does not depend on the day it runs

    def new_id(gender: str, born: date) -> str:
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if gender == Gender.MALE else 0)
            first17 = f"{DISTRICT_CODE}{born:%Y%m%d}{sequence:03d}"
            number = first17 + id_check_digit(first17)
            if number not in used_ids:
                used_ids.add(number)
                return number

    def birth(min_age: int, max_age: int) -> date:
        return today - timedelta(days=rng.randrange(min_age * 365, max_age * 365))

    household_index = 0
    while len(residents) < count:
        micro = home_micro[household_index % len(home_micro)] if household_index < 12 else rng.choice(micro_grids)
        household_index += 1
        grid = by_code[micro.parent_code]
        village = by_code[grid.parent_code]
        town = by_code[village.parent_code]
        households_in[micro.code] = households_in.get(micro.code, 0) + 1
        number = f"{micro.code}{households_in[micro.code]:03d}"
        if village.kind == "community":
            address = (
                f"包头市九原区{town.name}{village.name}{rng.randint(1, 30)}号楼"
                f"{rng.randint(1, 6)}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
            )
        else:
            address = f"包头市九原区{town.name}{village.name}{rng.randint(1, 12)}组{rng.randint(1, 120)}号"
        size = min(rng.choices((1, 2, 3, 4, 5), weights=(15, 30, 30, 18, 7))[0], count - len(residents))
        head_gender = rng.choice((Gender.MALE, Gender.FEMALE))
        members = [(head_gender, birth(25, 85))]
        if size > 1:
            members.append((Gender.FEMALE if head_gender == Gender.MALE else Gender.MALE, birth(25, 80)))
        members += [(rng.choice((Gender.MALE, Gender.FEMALE)), birth(0, 30)) for _ in range(size - len(members))]
        for gender, born in members:
            adult = (today - born).days >= 16 * 365
            phone = (rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}") if adult else ""
            special, key_person = "", False
            if adult and rng.random() < 0.015:
                special = rng.choice(SPECIAL_KINDS)
            if adult and rng.random() < 0.01:
                key_person = True
            residents.append(
                PlannedResident(
                    name=_person(rng, gender),
                    id_number=new_id(gender, born),
                    gender=gender,
                    birth_date=born,
                    phone=phone,
                    micro_grid_code=micro.code,
                    household_number=number,
                    address=address,
                    special_population=special,
                    key_person=key_person,
                )
            )
    # grid_a's grid always shows one sensitive case of each kind.
    residents[0].special_population = SpecialPopulation.COMMUNITY_CORRECTION
    residents[1].key_person = True
    return residents


def _seed_residents(planned: list[PlannedArea], areas: dict[str, Area], progress: Progress) -> tuple[int, int]:
    people = plan_residents(planned)
    ids = [p.id_number for p in people]
    # ID numbers are unique across the whole system, not just the demo district.
    existing_ids: set[str] = {
        number
        for start in range(0, len(ids), 900)
        for number in Resident.objects.filter(id_number__in=ids[start : start + 900]).values_list(
            "id_number", flat=True
        )
    }
    missing = [p for p in people if p.id_number not in existing_ids]
    if not missing:
        progress(f"residents: {len(people)} already there")
        return 0, 0
    numbers = sorted({p.household_number for p in missing})
    households = {
        h.number: h
        for start in range(0, len(numbers), 900)
        for h in Household.objects.filter(number__in=numbers[start : start + 900])
    }
    new_households = {}
    for p in missing:
        if p.household_number not in households and p.household_number not in new_households:
            new_households[p.household_number] = Household(
                number=p.household_number,
                micro_grid=areas[p.micro_grid_code],
                area_path=areas[p.micro_grid_code].path,
                address=p.address,
            )
    Household.objects.bulk_create(list(new_households.values()), batch_size=500)
    households |= new_households
    now = timezone.now()
    rows = []
    for p in missing:
        micro = areas[p.micro_grid_code]
        rows.append(
            Resident(
                name=p.name,
                # Checked with the same validators an import uses, so the demo data is importable data.
                id_number=normalize_id_number(p.id_number),
                gender=p.gender,
                birth_date=p.birth_date,
                phone=normalize_phone(p.phone),
                micro_grid=micro,
                area_path=micro.path,
                household=households[p.household_number],
                address=p.address,
                special_population=p.special_population,
                key_person=p.key_person,
                created_at=now,
            )
        )
    Resident.objects.bulk_create(rows, batch_size=500)
    progress(f"residents: {len(rows)} in {len(new_households)} households")
    return len(rows), len(new_households)


# --------------------------------------------------------------------------- people and roles


def _seed_users(
    *, password: str, areas: dict[str, Area], departments: dict[str, Department], progress: Progress
) -> tuple[int, int]:
    town1, town2 = areas[f"{DISTRICT_CODE}001"], areas[f"{DISTRICT_CODE}002"]
    district = areas[DISTRICT_CODE]
    first_grid = {
        town.code: min(
            (a for a in areas.values() if a.path.startswith(town.path) and len(a.code) == len(town.code) + 5),
            key=lambda a: a.code,
        )
        for town in (town1, town2)
    }
    grid_a, grid_b = first_grid[town1.code], first_grid[town2.code]
    village_a = areas[grid_a.code[:-2]]

    names = {login.username: login.display_name for login in DEMO_LOGINS}
    names |= {username: name for username, name, *_ in GRID_TEAM}
    existing = {u.username: u for u in User.objects.filter(username__in=list(names))}
    # One hash for all: the demo password is public anyway, and hashing it 15 times costs seconds.
    hashed = make_password(password)
    new_users = [
        User(
            username=username,
            first_name=name,
            password=hashed,
            is_superuser=username == "admin",
            is_staff=username == "admin",
        )
        for username, name in names.items()
        if username not in existing
    ]
    User.objects.bulk_create(new_users)
    users = existing | {u.username: u for u in User.objects.filter(username__in=[u.username for u in new_users])}

    grants: list[tuple[str, str, Area | None, Department | None, str]] = [
        ("admin", Role.ADMIN, None, None, ""),
        ("official", Role.OFFICIAL, district, None, ""),
        ("center_district", Role.CENTER_STAFF, district, None, ""),
        ("center_town", Role.CENTER_STAFF, town1, None, ""),
        ("dept_police", Role.DEPARTMENT_STAFF, None, departments[f"police-{town1.code}"], ""),
        ("dept_urban", Role.DEPARTMENT_STAFF, None, departments[f"urban-{town1.code}"], ""),
        ("grid_a", Role.GRID_WORKER, grid_a, None, "专职网格员"),
        ("grid_b", Role.GRID_WORKER, grid_b, None, "专职网格员"),
        ("mediator", Role.MEDIATOR, town1, None, ""),
        ("legal", Role.LEGAL_STAFF, town1, None, ""),
    ]
    grants += [
        (username, role, village_a if on_village else grid_a, None, team_role)
        for username, _name, role, on_village, team_role in GRID_TEAM
    ]
    before = Membership.objects.filter(user__in=users.values()).count()
    for username, role, area, department, team_role in grants:
        # get_or_create inside: an existing grant is left exactly as it is.
        membership_grant(user=users[username], role=role, area=area, department=department, team_role=team_role)
    granted = Membership.objects.filter(user__in=users.values()).count() - before
    progress(f"users: {len(new_users)} created, {granted} roles granted")
    return len(new_users), granted


@transaction.atomic
def seed_demo(*, password: str, progress: Progress | None = None) -> SeedResult:
    """Build the demo district (九原区) with its organisations, residents and demo logins.

    Idempotent: rows are identified by code, ID number or username and never rewritten, so a
    repeated run creates nothing. All or nothing: one transaction.
    """
    report = progress or (lambda message: None)
    result = SeedResult(logins=list(DEMO_LOGINS))
    planned = plan_territory()
    result.created["areas"], areas = _seed_territory(planned, report)
    result.created["department_kinds"], result.created["departments"], departments = _seed_departments(areas, report)
    result.created["categories"] = _seed_categories(report)
    result.created["residents"], result.created["households"] = _seed_residents(planned, areas, report)
    result.created["users"], result.created["memberships"] = _seed_users(
        password=password, areas=areas, departments=departments, progress=report
    )
    users = {u.username: u for u in User.objects.filter(username__in=[login.username for login in DEMO_LOGINS])}
    result.created["cases"] = seed_demo_cases(users=users, progress=report)
    result.created |= seed_demo_field(progress=report)  # field work (issue 16): buildings, patrols, visits
    result.created["legal services"] = seed_demo_legal(users=users, progress=report)
    result.created |= seed_demo_mediation(users=users, progress=report)  # governance/demo_mediation.py
    result.created["map_features"] = seed_map_features(planned, report)  # issue 16: the vector base map
    result.created["open311_clients"] = _seed_open311_client(report)
    return result


def _seed_open311_client(progress: Progress) -> int:
    """The demo Open311 client, whose key is OPEN311_DEMO_KEY (default demo-open311-key); only its
    hash is stored. Idempotent by the key's hash."""
    from django.conf import settings

    from disputes.models import Open311Client

    key = settings.OPEN311_DEMO_KEY
    if Open311Client.objects.filter(key_hash=Open311Client.hash_key(key)).exists():
        return 0
    client = Open311Client(name="12345 demo platform", requests_per_minute=60)
    client.set_key(key)
    client.save()
    progress("open311: demo client created (key from OPEN311_DEMO_KEY)")
    return 1
