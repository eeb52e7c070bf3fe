"""People of the city-scale district: a worker for every grid, staff for every center and
department (the demo logins keep their own posts), and 200k residents in households."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from disputes.models import Category
from governance.demo import DISTRICT_CODE, FEMALE_CHARS, MALE_CHARS, MOBILE_PREFIXES, SURNAMES
from grids.models import Area, Department, Household, Level, Membership, Resident, Role, User

from .load import drop_indexes, rebuild_indexes
from .plan import TOWN_WEIGHTS, World

# ID-number regions (GB 11643): Jiuyuan itself, and the rest of Baotou for people who moved in.
REGIONS = ["150207"] * 6 + ["150202", "150203", "150204", "150205", "150206", "150221", "150222", "150223"]
SPECIAL = ["community_correction", "released_prisoner", "drug_rehabilitation", "mental_disorder", "key_youth"]


def _rect(boundary: dict) -> tuple[float, float, float, float]:
    ring = boundary["coordinates"][0]
    xs, ys = [x for x, _y in ring], [y for _x, y in ring]
    return min(xs), min(ys), max(xs), max(ys)


@transaction.atomic
def seed_staff() -> dict:
    """Users for every grid, town center and department that the demo logins do not already hold."""
    district = Area.objects.get(code=DISTRICT_CODE)
    towns = list(Area.objects.filter(level=Level.TOWN, parent=district).order_by("code"))
    grids = list(Area.objects.filter(level=Level.GRID, path__startswith=district.path).order_by("code"))
    departments = list(Department.objects.filter(area__path__startswith=district.path).order_by("code"))
    held = Membership.objects.filter(
        role__in=[Role.GRID_WORKER, Role.CENTER_STAFF, Role.DEPARTMENT_STAFF]
    ).select_related("user")
    grid_worker = {
        m.area_id: m.user_id for m in held if m.role == Role.GRID_WORKER and m.user.username.startswith("grid_")
    }
    center_staff = {m.area_id: m.user_id for m in held if m.role == Role.CENTER_STAFF}
    dept_staff = {m.department_id: m.user_id for m in held if m.role == Role.DEPARTMENT_STAFF}

    password = make_password(settings.DEMO_PASSWORD)
    wanted: list[tuple[str, str, Area | None, Department | None]] = []
    wanted += [(f"bench_grid_{g.code}", Role.GRID_WORKER, g, None) for g in grids if g.pk not in grid_worker]
    wanted += [(f"bench_center_{t.code}", Role.CENTER_STAFF, t, None) for t in towns if t.pk not in center_staff]
    wanted += [(f"bench_dept_{d.code}", Role.DEPARTMENT_STAFF, None, d) for d in departments if d.pk not in dept_staff]
    users = User.objects.bulk_create(
        [User(username=name, first_name=name[:150], password=password) for name, *_ in wanted], batch_size=1000
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, role=role, area=area, department=dept)
            for u, (_n, role, area, dept) in zip(users, wanted, strict=True)
        ],
        batch_size=1000,
    )
    through = User.groups.through
    through.objects.bulk_create(
        [
            through(user_id=u.pk, group_id=dept.group_id)
            for u, (_n, _r, _a, dept) in zip(users, wanted, strict=True)
            if dept
        ],
    )
    for u, (_n, role, area, dept) in zip(users, wanted, strict=True):
        if role == Role.GRID_WORKER:
            grid_worker[area.pk] = u.pk
        elif role == Role.CENTER_STAFF:
            center_staff[area.pk] = u.pk
        else:
            dept_staff[dept.pk] = u.pk
    return {"grid_worker": grid_worker, "center_staff": center_staff, "dept_staff": dept_staff, "created": len(users)}


def build_world(anchor: int, staff: dict) -> World:
    district = Area.objects.get(code=DISTRICT_CODE)
    towns = list(Area.objects.filter(level=Level.TOWN, parent=district).order_by("code"))
    town_index = {t.code: i for i, t in enumerate(towns)}
    micro = list(
        Area.objects.filter(level=Level.MICRO_GRID, path__startswith=district.path)
        .order_by("code")
        .values("id", "code", "path", "parent_id", "boundary")
    )
    categories = list(Category.objects.order_by("position", "code").prefetch_related("usual_department_kinds"))
    departments = list(Department.objects.select_related("kind", "area").filter(area__path__startswith=district.path))
    town_dept = {(d.area.code, d.kind.code): d.pk for d in departments if d.area.level == Level.TOWN}
    district_dept = {d.kind.code: d.pk for d in departments if d.area.level == Level.DISTRICT}

    k = 6
    candidates = np.zeros((len(categories), len(towns), k), dtype=np.int64)
    n_candidates = np.zeros((len(categories), len(towns)), dtype=np.int64)
    for ci, category in enumerate(categories):
        kinds = [kind.code for kind in category.usual_department_kinds.all()] or ["urban", "police"]
        for ti, town in enumerate(towns):
            found: list[int] = []
            for kind in kinds:
                for dept in (town_dept.get((town.code, kind)), district_dept.get(kind)):
                    if dept and dept not in found:
                        found.append(dept)
            for fallback in ("petition", "civil"):  # somebody can always take a returned case
                if len(found) < 2 and district_dept.get(fallback):
                    found.append(district_dept[fallback])
            found = found[:k]
            candidates[ci, ti, : len(found)] = found
            n_candidates[ci, ti] = len(found)

    def urgency_minutes(category: Category, field: str, scale: float) -> list[int]:
        return [int(round(float(getattr(category, f"{field}_{u}")) * scale)) for u in ("normal", "urgent", "emergency")]

    from disputes.worktime import WorkingCalendar

    day_minutes = int(round(WorkingCalendar().hours_per_day * 60))
    from .texts import variants_per_category

    variants = variants_per_category([c.code for c in categories])
    return World(
        anchor=anchor,
        district_id=district.pk,
        district_staff=staff["center_staff"][district.pk],
        town_codes=[t.code for t in towns],
        town_ids=np.array([t.pk for t in towns], dtype=np.int64),
        town_staff=np.array([staff["center_staff"][t.pk] for t in towns], dtype=np.int64),
        mg_ids=np.array([m["id"] for m in micro], dtype=np.int64),
        mg_town=np.array([town_index[m["path"].split("/")[1]] for m in micro], dtype=np.int64),
        mg_worker=np.array([staff["grid_worker"][m["parent_id"]] for m in micro], dtype=np.int64),
        mg_rect=np.array([_rect(m["boundary"]) for m in micro], dtype=np.float64),
        cat_ids=np.array([c.pk for c in categories], dtype=np.int64),
        cat_codes=[c.code for c in categories],
        sign_minutes=np.array([urgency_minutes(c, "sign_hours", 60) for c in categories], dtype=np.int64),
        handle_minutes=np.array([urgency_minutes(c, "handle_days", day_minutes) for c in categories], dtype=np.int64),
        candidates=candidates,
        n_candidates=n_candidates,
        dept_staff=staff["dept_staff"],
        text_variants=np.array(variants, dtype=np.int64),
        extra={"micro": micro, "towns": towns},
    )


def _copy(table: str, columns: list[str], rows: io.StringIO) -> None:
    rows.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)", rows)


ID_WEIGHTS = np.array([2 ** (17 - i) % 11 for i in range(17)], dtype=np.int64)


def id_numbers(regions: np.ndarray, born: np.ndarray, male: np.ndarray, taken: set[str]) -> list[str]:
    """Valid GB 11643 numbers, unique among themselves and against `taken`: the sequence number is
    the rank among people of the same region, birthday and sex (odd for men, even for women)."""
    n = len(regions)
    codes = np.array(REGIONS, dtype=np.int64)[regions]
    key = (codes * 100_000 + born) * 2 + male
    order = np.argsort(key, kind="stable")
    sorted_keys = key[order]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.searchsorted(sorted_keys, sorted_keys, side="left")
    dates = (np.datetime64("1970-01-01") + born.astype("timedelta64[D]")).astype(str)  # YYYY-MM-DD
    ymd = np.char.replace(dates, "-", "").astype(np.int64)
    used = set(taken)

    def make(slots: np.ndarray) -> list[str]:
        seq = slots * 2 + male
        digits = np.concatenate(
            [
                (codes[:, None] // 10 ** np.arange(5, -1, -1)) % 10,
                (ymd[:, None] // 10 ** np.arange(7, -1, -1)) % 10,
                (seq[:, None] // 10 ** np.arange(2, -1, -1)) % 10,
            ],
            axis=1,
        )
        checks = np.array(list("10X98765432"))[(digits @ ID_WEIGHTS) % 11]
        return [
            f"{c}{d}{q:03d}{x}" for c, d, q, x in zip(codes.tolist(), ymd.tolist(), seq.tolist(), checks, strict=True)
        ]

    numbers = make(rank % 500)
    clashes = [i for i, number in enumerate(numbers) if number in used]
    used.update(numbers)
    for i in clashes:  # held by a demo resident: take the next sequence number nobody holds
        for attempt in range(1, 500):
            slot = (int(rank[i]) + attempt * 251) % 500
            first17 = f"{codes[i]}{ymd[i]}{slot * 2 + int(male[i]):03d}"
            digits = np.frombuffer(first17.encode(), dtype=np.uint8) - 48
            number = first17 + "10X98765432"[int(digits @ ID_WEIGHTS) % 11]
            if number not in used:
                break
        else:
            raise RuntimeError(f"no free ID number for {first17[:14]}")
        numbers[i] = number
        used.add(number)
    return numbers


@transaction.atomic
def seed_residents(world: World, count: int, rng: np.random.Generator) -> int:
    """`count` residents in households of one to five, over the micro-grids by the same weights as
    the cases (people live where things happen), with valid, unique 18-character ID numbers."""
    if count <= 0:
        return 0
    micro = world.extra["micro"]
    towns = {t.code: t for t in world.extra["towns"]}
    villages = dict(Area.objects.filter(level=Level.VILLAGE).values_list("code", "name"))
    now = timezone.now()
    sizes = rng.choice([1, 2, 3, 4, 5], size=count, p=[0.15, 0.30, 0.30, 0.18, 0.07])
    ends = np.cumsum(sizes)
    households = int(np.searchsorted(ends, count) + 1)
    sizes = sizes[:households]
    sizes[-1] -= int(ends[households - 1] - count)
    per_town = np.bincount(world.mg_town, minlength=len(world.town_ids)).astype(float)
    town_w = np.array([TOWN_WEIGHTS.get(code[-3:], 0.5) for code in world.town_codes])
    weights = town_w[world.mg_town] / per_town[world.mg_town] * rng.lognormal(0, 0.5, size=len(micro))
    home = rng.choice(len(micro), size=households, p=weights / weights.sum())

    household_id0 = (Household.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    resident_count0 = Resident.objects.count()
    taken_households = set(Household.objects.values_list("number", flat=True))
    buf = io.StringIO()
    addresses = []
    counter: dict[int, int] = {}
    for h in range(households):
        mi = int(home[h])
        m = micro[mi]
        number = ""
        while not number or number in taken_households:
            counter[mi] = counter.get(mi, 0) + 1
            number = f"{m['code']}{counter[mi]:04d}"
        codes = m["path"].split("/")
        town, village = towns[codes[1]], villages.get(codes[2], "")
        if codes[1].endswith(("001", "002", "003", "004")):
            address = f"包头市九原区{town.name}{village}{h % 30 + 1}号楼{h % 6 + 1}单元{h % 18 + 1}0{h % 4 + 1}室"
        else:
            address = f"包头市九原区{town.name}{village}{h % 12 + 1}组{h % 120 + 1}号"
        addresses.append(address)
        buf.write(f"{household_id0 + h}\t{number}\t{address}\t{m['id']}\t{m['path']}\t\t\tf\n")
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL session_replication_role = replica")  # no per-row foreign-key checks
        except DatabaseError:
            pass
    ddl = drop_indexes(["grids_household", "grids_resident"])
    # Field work (issue 16) added the household's area path, unit, room and rental flag.
    _copy("grids_household", ["id", "number", "address", "micro_grid_id", "area_path", "unit", "room", "rental"], buf)

    member_of = np.repeat(np.arange(households), sizes)
    n = len(member_of)
    today = int(world.anchor // 86400)
    ages = np.concatenate([rng.integers(18 * 365, 85 * 365, size=n // 2), rng.integers(0, 80 * 365, size=n - n // 2)])
    rng.shuffle(ages)
    born = today - ages
    adult = ages >= 16 * 365
    male = (rng.random(n) < 0.5).astype(np.int64)
    numbers = id_numbers(
        rng.integers(0, len(REGIONS), size=n), born, male, set(Resident.objects.values_list("id_number", flat=True))
    )
    name_len = rng.choice([1, 2, 2], size=n)
    picks = rng.integers(0, 10**6, size=(n, 4))
    phone_tail = rng.integers(0, 10**8, size=n)
    special = rng.random(n)
    key = (rng.random(n) < 0.01) & adult
    created_days = rng.integers(0, 3 * 365, size=n)
    epoch = date(1970, 1, 1)
    born_text = {int(d): (epoch + timedelta(days=int(d))).isoformat() for d in np.unique(born)}
    created_text = {int(d): (now - timedelta(days=int(d))).isoformat() for d in np.unique(created_days)}
    buf = io.StringIO()
    for i in range(n):
        chars = MALE_CHARS if male[i] else FEMALE_CHARS
        name = SURNAMES[picks[i, 0] % len(SURNAMES)] + chars[picks[i, 1] % len(chars)]
        if name_len[i] == 2:
            name += chars[picks[i, 2] % len(chars)]
        phone = f"{MOBILE_PREFIXES[picks[i, 3] % len(MOBILE_PREFIXES)]}{phone_tail[i]:08d}" if adult[i] else ""
        sp = SPECIAL[int(special[i] * 1000) % len(SPECIAL)] if adult[i] and special[i] < 0.015 else ""
        h = int(member_of[i])
        m = micro[int(home[h])]
        buf.write(
            f"{name}\t{numbers[i]}\t{'male' if male[i] else 'female'}\t{born_text[int(born[i])]}\t{phone}\t"
            f"{m['path']}\t{addresses[h]}\t{sp}\t{'t' if key[i] else 'f'}\t{created_text[int(created_days[i])]}\t"
            f"{household_id0 + h}\t{m['id']}\tf\n"
        )
    columns = [
        "name",
        "id_number",
        "gender",
        "birth_date",
        "phone",
        "area_path",
        "address",
        "special_population",
        "key_person",
        "created_at",
        "household_id",
        "micro_grid_id",
        "floating",
    ]
    _copy("grids_resident", columns, buf)
    rebuild_indexes(ddl)
    with connection.cursor() as cursor:
        for table in ("grids_household", "grids_resident"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    assert Resident.objects.count() == resident_count0 + n
    return n
