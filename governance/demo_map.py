"""The demo's base map: streets, buildings and landmarks generated inside the synthetic territory, so a
pin on the report form lands on something recognisable without a tile server.

Per grid: a street across it from west to east and one from south to north, and three buildings in
each of the four blocks they leave. Per village: its committee (or community service centre) and a
clinic or school. Deterministic codes; a second run writes nothing. About 8,500 rows in one bulk insert.
"""

from __future__ import annotations

from collections.abc import Callable

from grids.mapfeatures import bounds_of, bump_version
from grids.models import Level, MapFeature, MapFeatureKind

STREET_WORDS = (
    "建设 人民 团结 幸福 和平 光明 友谊 文化 健康 振兴 富强 民主 阳光 青年 胜利 长青 新华 丰收 钢铁 黄河".split()
)
CENTRE = {"community": "社区服务中心", "village": "村委会", "gacha": "嘎查委员会"}
SECOND = ["卫生室", "小学", "幼儿园", "文化广场", "便民超市"]


def _rect(w: float, s: float, e: float, n: float) -> dict:
    ring = [[round(x, 6), round(y, 6)] for x, y in ((w, s), (e, s), (e, n), (w, n), (w, s))]
    return {"type": "Polygon", "coordinates": [ring]}


def _line(points) -> dict:
    return {"type": "LineString", "coordinates": [[round(x, 6), round(y, 6)] for x, y in points]}


def plan_map_features(planned) -> list[tuple[str, str, str, dict]]:
    """(code, kind, name, geometry) for every feature, from the planned territory (governance.demo)."""
    features: list[tuple[str, str, str, dict]] = []
    villages = {p.code: p for p in planned if p.level == Level.VILLAGE}
    grids_of: dict[str, list] = {}
    for p in planned:
        if p.level == Level.GRID:
            grids_of.setdefault(p.parent_code, []).append(p)
    for n_grid, grid in enumerate(p for p in planned if p.level == Level.GRID):
        w, s, e, n = grid.rect
        mid_lat, mid_lng = (s + n) / 2, (w + e) / 2
        west_east = STREET_WORDS[n_grid % len(STREET_WORDS)] + "路"
        south_north = STREET_WORDS[(n_grid * 7 + 3) % len(STREET_WORDS)] + "街"
        features.append((f"{grid.code}-s1", MapFeatureKind.STREET, west_east, _line([(w, mid_lat), (e, mid_lat)])))
        features.append((f"{grid.code}-s2", MapFeatureKind.STREET, south_north, _line([(mid_lng, s), (mid_lng, n)])))
        gap_lng, gap_lat = (e - w) * 0.06, (n - s) * 0.08
        blocks = [
            (w, mid_lat, mid_lng, n),
            (mid_lng, mid_lat, e, n),
            (w, s, mid_lng, mid_lat),
            (mid_lng, s, e, mid_lat),
        ]
        number = 0
        for bw, bs, be, bn in blocks:
            bw, bs, be, bn = bw + gap_lng, bs + gap_lat, be - gap_lng, bn - gap_lat
            width = (be - bw) / 3
            for i in range(3):
                number += 1
                x0 = bw + i * width + width * 0.12
                x1 = bw + (i + 1) * width - width * 0.12
                y0, y1 = bs + (bn - bs) * 0.2, bn - (bn - bs) * 0.2
                features.append(
                    (f"{grid.code}-b{number:02d}", MapFeatureKind.BUILDING, f"{number}号楼", _rect(x0, y0, x1, y1))
                )
    for n_village, (code, village) in enumerate(villages.items()):
        grids = grids_of.get(code, [])
        if not grids:
            continue
        first, last = grids[0].rect, grids[-1].rect
        centre = (first[0] + (first[2] - first[0]) * 0.5, first[1] + (first[3] - first[1]) * 0.5)
        other = (last[0] + (last[2] - last[0]) * 0.5, last[1] + (last[3] - last[1]) * 0.5)
        name = village.name + CENTRE.get(village.kind, "村委会")
        features.append((f"{code}-l1", MapFeatureKind.LANDMARK, name, {"type": "Point", "coordinates": list(centre)}))
        second = village.name + SECOND[n_village % len(SECOND)]
        features.append((f"{code}-l2", MapFeatureKind.LANDMARK, second, {"type": "Point", "coordinates": list(other)}))
    return features


def seed_map_features(planned, progress: Callable[[str], None]) -> int:
    """Create the features not there yet; returns how many were created."""
    plan = plan_map_features(planned)
    if MapFeature.objects.filter(code__in=[plan[0][0], plan[-1][0]]).count() == 2 and MapFeature.objects.count() >= len(
        plan
    ):
        progress(f"map: {len(plan)} features already there")
        return 0
    existing = set(MapFeature.objects.values_list("code", flat=True))
    rows = []
    for code, kind, name, geometry in plan:
        if code in existing:
            continue
        w, s, e, n = bounds_of(geometry)
        rows.append(
            MapFeature(code=code, kind=kind, name=name, geometry=geometry, min_lng=w, min_lat=s, max_lng=e, max_lat=n)
        )
    MapFeature.objects.bulk_create(rows, batch_size=2000)
    bump_version()
    progress(f"map: {len(rows)} streets, buildings and landmarks")
    return len(rows)
