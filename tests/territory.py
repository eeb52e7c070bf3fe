"""A small nested territory for tests: one district, two towns, each with one village, two grids
and two micro-grids per grid. Boxes nest, so every centroid locates to its own micro-grid."""

from __future__ import annotations

from dataclasses import dataclass, field

from grids.models import Area, Level
from grids.services import area_create

BASE_LNG, BASE_LAT = 110.0, 40.5


def box(lng0: float, lat0: float, lng1: float, lat1: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]],
    }


@dataclass
class Territory:
    district: Area
    towns: list[Area] = field(default_factory=list)
    villages: list[Area] = field(default_factory=list)
    grids: list[Area] = field(default_factory=list)
    micro_grids: list[Area] = field(default_factory=list)

    def micro_of(self, grid: Area) -> list[Area]:
        return [m for m in self.micro_grids if m.parent_id == grid.pk]


def build_territory() -> Territory:
    district = area_create(
        code="150207",
        name="九原区",
        level=Level.DISTRICT,
        parent=None,
        boundary=box(BASE_LNG, BASE_LAT, BASE_LNG + 0.4, BASE_LAT + 0.2),
    )
    t = Territory(district=district)
    for ti in range(2):
        lng0 = BASE_LNG + 0.2 * ti
        town = area_create(
            code=f"150207{ti + 1:03d}",
            name=f"测试街道{ti + 1}",
            level=Level.TOWN,
            parent=district,
            boundary=box(lng0, BASE_LAT, lng0 + 0.2, BASE_LAT + 0.2),
        )
        t.towns.append(town)
        village = area_create(
            code=f"{town.code}001",
            name=f"测试社区{ti + 1}",
            level=Level.VILLAGE,
            parent=town,
            boundary=box(lng0, BASE_LAT, lng0 + 0.2, BASE_LAT + 0.2),
        )
        t.villages.append(village)
        for gi in range(2):
            glng = lng0 + 0.1 * gi
            grid = area_create(
                code=f"{village.code}{gi + 1:02d}",
                name=f"{village.name}{gi + 1}号网格",
                level=Level.GRID,
                parent=village,
                boundary=box(glng, BASE_LAT, glng + 0.1, BASE_LAT + 0.2),
            )
            t.grids.append(grid)
            for mi in range(2):
                mlat = BASE_LAT + 0.1 * mi
                t.micro_grids.append(
                    area_create(
                        code=f"{grid.code}{mi + 1:02d}",
                        name=f"{grid.name}{mi + 1}号微网格",
                        level=Level.MICRO_GRID,
                        parent=grid,
                        boundary=box(glng, mlat, glng + 0.1, mlat + 0.1),
                    )
                )
    return t
