"""Geometry: centroids and `locate(lat, lng)` through an in-memory STRtree of micro-grid boundaries."""

from __future__ import annotations

import threading

from shapely.geometry import Point, shape
from shapely.strtree import STRtree

from .models import Area, Level


def centroid_of(boundary: dict) -> tuple[float, float]:
    """(lat, lng) of a GeoJSON polygon's representative point (always inside the polygon)."""
    point = shape(boundary).representative_point()
    return point.y, point.x


class _Index:
    """The STRtree and the area ids it holds, tagged with the version of the boundaries it was built from."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: tuple | None = None
        self.tree: STRtree | None = None
        self.geoms: list = []
        self.ids: list[int] = []


_index = _Index()


def _current_version() -> tuple:
    from django.db.models import Count, Max

    agg = Area.objects.filter(level=Level.MICRO_GRID).aggregate(n=Count("id"), latest=Max("updated_at"))
    return (agg["n"], agg["latest"])


def _rebuild(version: tuple) -> None:
    geoms, ids = [], []
    rows = Area.objects.filter(level=Level.MICRO_GRID, boundary__isnull=False).values_list("id", "boundary")
    for area_id, boundary in rows.iterator(chunk_size=2000):
        try:
            geom = shape(boundary)
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        if geom.is_empty:
            continue
        geoms.append(geom)
        ids.append(area_id)
    _index.tree = STRtree(geoms) if geoms else None
    _index.geoms, _index.ids, _index.version = geoms, ids, version


def invalidate() -> None:
    """Drop the index in this process; it is rebuilt on the next locate."""
    with _index.lock:
        _index.version = None


def locate_id(lat: float, lng: float) -> int | None:
    """Id of the micro-grid whose boundary contains the point, or None.

    The index is rebuilt whenever the micro-grid boundaries change (count or latest update),
    which costs one indexed aggregate per call to check.
    """
    version = _current_version()
    with _index.lock:
        if _index.version != version:
            _rebuild(version)
        tree = _index.tree
        if tree is None:
            return None
        point = Point(lng, lat)
        for i in tree.query(point, predicate="intersects"):
            return _index.ids[int(i)]
    return None


VERSION_SQL = "SELECT count(id), max(updated_at) FROM grids_area WHERE level = 'micro_grid'"


def locate_id_unchecked(lat: float, lng: float) -> tuple[int | None, tuple | None]:
    """(micro-grid id, version of the index that answered) without checking the version: the
    caller reads `VERSION_SQL` in a statement it sends anyway and calls `locate_id` again when the
    versions differ (after a boundary edit in another process). Saves the version query."""
    with _index.lock:
        if _index.version is None:
            _rebuild(_current_version())
        tree, version = _index.tree, _index.version
        if tree is None:
            return None, version
        for i in tree.query(Point(lng, lat), predicate="intersects"):
            return _index.ids[int(i)], version
    return None, version


def locate(lat: float, lng: float) -> Area | None:
    area_id = locate_id(lat, lng)
    return Area.objects.filter(pk=area_id).first() if area_id else None
