"""An Open311 client this project did not write (the `georeport` package from PyPI) against our
live server, in JSON and XML: it lists services, reads a service definition and reads requests
back. `georeport` cannot POST, so posting and resolving the token follow the spec literally with
the standard library (urllib, form encoding, ElementTree)."""

import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from disputes.models import Case, Open311Client

georeport = pytest.importorskip("georeport")

pytestmark = pytest.mark.django_db(transaction=True)
KEY = "client-test-key-0123456789"


def spec_post(base: str, fmt: str, body: dict):
    data = urllib.parse.urlencode(body).encode()
    req = urllib.request.Request(
        f"{base}/requests.{fmt}", data=data, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def spec_get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_foreign_client_lists_posts_resolves_and_reads_back(live_server, world, categories, fmt):
    client = Open311Client(name="foreign")
    client.set_key(KEY)
    client.save()
    base = f"{live_server.url}/open311/v2"
    gr = georeport.GeoReport(base, output_format=fmt)

    services = gr.get_service_list()
    services = services if isinstance(services, list) else [services]
    assert "road_damage" in [s["service_code"] for s in services]
    definition = gr.get_service_definition("road_damage")
    assert definition["service_code"] == "road_damage"

    micro = world.t.micro_grids[0]
    status, body = spec_post(
        base,
        fmt,
        {
            "api_key": KEY,
            "service_code": "road_damage",
            "lat": micro.centroid_lat,
            "long": micro.centroid_lng,
            "description": "井盖缺失",
            "email": "someone@example.com",
        },
    )
    assert status == 200, body
    if fmt == "json":
        created = json.loads(body)[0]
    else:
        created = {c.tag: c.text for c in ET.fromstring(body).find("request")}
    token = created["token"]

    status, body = spec_get(f"{base}/tokens/{token}.{fmt}")
    assert status == 200
    if fmt == "json":
        request_id = json.loads(body)[0]["service_request_id"]
    else:
        request_id = ET.fromstring(body).find("request/service_request_id").text
    assert request_id == Case.objects.get().number

    one = gr.get_service_request(request_id)
    # (JSON: the first element; XML: xmltodict's dict of the one <request>.)
    assert one["service_request_id"] == request_id and one["status"] == "open"
    listed = gr.get_service_requests(service_code="road_damage")
    assert request_id in json.dumps(listed, ensure_ascii=False)
    assert "someone@example.com" not in json.dumps(listed, ensure_ascii=False)

    status, body = spec_post(base, fmt, {"api_key": "wrong", "service_code": "road_damage"})
    assert status == 403
    if fmt == "xml":
        assert ET.fromstring(body).tag == "errors"
