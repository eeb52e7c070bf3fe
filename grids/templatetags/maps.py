"""`{% map_config %}`: the map settings for static/js/basemap.js, as a json_script tag (no inline script)."""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import json_script

register = template.Library()


@register.simple_tag
def map_config():
    return json_script(
        {
            "tileUrl": settings.MAP_TILE_URL,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
            "subdomains": settings.MAP_TILE_SUBDOMAINS,
            "minZoom": settings.MAP_MIN_ZOOM,
            "maxZoom": settings.MAP_MAX_ZOOM,
            "featuresUrl": reverse("api-map-features"),
        },
        "map-config",
    )
