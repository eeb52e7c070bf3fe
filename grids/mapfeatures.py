"""The vector base map: streets, buildings and landmarks as GeoJSON, by bounding box, cached.

Used when no tile server is configured (settings.MAP_TILE_URL) and under it as context. The
features are public territory data; who may read them is decided by `selectors.can_see_map`.
"""

from __future__ import annotations

from django.core.cache import cache

from .models import MapFeature

MAX_SPAN_DEG = 0.2  # a desktop view at zoom 14 is about 0.12° wide; a larger box is refused
MAX_FEATURES = 4000
CACHE_SECONDS = 3600
_VERSION_KEY = "map-features:version"


def parse_bbox(text: str) -> tuple[float, float, float, float] | None:
    """ "west,south,east,north" in degrees, rounded to 1e-4, or None when malformed or too large."""
    try:
        w, s, e, n = (round(float(part), 4) for part in text.split(","))
    except (TypeError, ValueError):
        return None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        return None
    if e - w > MAX_SPAN_DEG or n - s > MAX_SPAN_DEG:
        return None
    return w, s, e, n


def bump_version() -> None:
    """Forget every cached answer (after the features change)."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 2, None)


def feature_collection(bbox: tuple[float, float, float, float]) -> dict:
    """The features whose bounding box meets `bbox`, as a GeoJSON FeatureCollection (cached)."""
    version = cache.get_or_set(_VERSION_KEY, 1, None)
    key = "map-features:{}:{}".format(version, ",".join(f"{v:.4f}" for v in bbox))
    return cache.get_or_set(key, lambda: _collect(bbox), CACHE_SECONDS)


def _collect(bbox: tuple[float, float, float, float]) -> dict:
    w, s, e, n = bbox
    rows = (
        MapFeature.objects.filter(min_lng__lte=e, max_lng__gte=w, min_lat__lte=n, max_lat__gte=s)
        .order_by("kind", "id")
        .values_list("kind", "name", "geometry")[:MAX_FEATURES]
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"kind": kind, "name": name}, "geometry": geometry}
            for kind, name, geometry in rows
        ],
    }


def bounds_of(geometry: dict) -> tuple[float, float, float, float]:
    """(min_lng, min_lat, max_lng, max_lat) of a Point, LineString or Polygon."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        points = [coords]
    elif geometry["type"] == "LineString":
        points = coords
    else:
        points = [p for ring in coords for p in ring]
    lngs, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lngs), min(lats), max(lngs), max(lats)
