"""Hostile text in the legal lists' and registries' XLSX (?export=xlsx): no formula, no text cell
starting with a formula trigger, the typed text kept; the exports with residents' or advisers'
names, phones or ID numbers write a personal-data export audit event, the others do not."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from grids.models import AuditEvent, AuditKind, Household
from legal_services.models import ModelHousehold, ServicePoint
from legal_services.services import aid_apply, consultation_record, event_log, lawyer_register
from tests.clock import clock
from tests.hostile import SCRIPT, workbook_problems, workbook_texts

pytestmark = pytest.mark.django_db

EVIL = "=cmd|' /C calc'!A0"


def _exports(kind: str | None = None):
    qs = AuditEvent.objects.filter(kind=AuditKind.PERSONAL_DATA_EXPORT)
    return qs.filter(subject_type=kind) if kind else qs


@pytest.fixture
def hostile_legal(world, legal_world):
    with clock("2026-11-16 09:00"):
        consultation = consultation_record(
            by=world.legal, topic="wages", question=EVIL, answer=SCRIPT, channel="phone", name="+SUM(1,2)"
        )
        aid = aid_apply(by=world.legal, matter="wages", reason="@SUM(1)", name="-2+3")
        event = event_log(
            by=world.legal,
            held_on=date(2026, 11, 16),
            place="\t=1+1",
            organiser="＝1+1",
            title=EVIL,
            topic="anti_fraud",
            audience=80,
            area=legal_world.village1,
        )
    lawyer_register(
        by=world.legal,
        name='=HYPERLINK("http://x")',
        firm=EVIL,
        licence_no="11502201010000002",
        area=world.town1,
        villages=[legal_world.village1],
        term_from=date(2026, 1, 1),
        term_to=date(2026, 12, 31),
        duty_hours="\r=1+1",
    )
    micro = world.t.micro_of(world.t.grids[0])[0]
    household = Household.objects.create(number="=1+1", micro_grid=micro, area_path=micro.path)
    ModelHousehold.objects.create(
        household=household, head_name="@SUM(1)", village=legal_world.village1, area_path=micro.path, year=2026
    )
    ServicePoint.objects.create(
        name=EVIL, kind="station", area=world.town1, area_path=world.town1.path, address="+1", lat=40.6, lng=109.9
    )
    return consultation, aid, event


@pytest.mark.parametrize(
    "url, personal",
    [
        (reverse("legal:consultation_list"), "legal_services.consultation"),
        (reverse("legal:aid_list"), "legal_services.aidapplication"),
        (reverse("legal:event_list"), None),
        (reverse("legal:registry", args=["savvy"]), "legal_services.legalsavvyresident"),
        (reverse("legal:registry", args=["advisers"]), "legal_services.lawyer"),
        (reverse("legal:registry", args=["service-points"]), None),
        (reverse("legal:registry", args=["model-households"]), "legal_services.modelhousehold"),
        (reverse("legal:registry", args=["model-villages"]), None),
    ],
)
def test_legal_exports_are_neutralised_and_personal_ones_audited(world, hostile_legal, browser_client, url, personal):
    r = browser_client(world.legal).get(url + "?export=xlsx")
    assert r.status_code == 200
    assert workbook_problems(r.content) == []
    rows = load_workbook(io.BytesIO(r.content)).active.max_row - 1  # under the header
    if personal is None:
        assert not _exports().exists()
        return
    (event,) = _exports()
    assert event.subject_type == personal
    assert event.actor == world.legal and event.ip_address == "127.0.0.1"
    assert event.data["rows"] == len(event.data["ids"]) == rows >= 1


def test_legal_export_cells_keep_the_typed_text(world, hostile_legal, browser_client):
    c = browser_client(world.legal)
    texts = workbook_texts(c.get(reverse("legal:consultation_list") + "?export=xlsx").content)
    assert "'" + EVIL in texts and SCRIPT in texts and "'+SUM(1,2)" in texts
    texts = workbook_texts(c.get(reverse("legal:aid_list") + "?export=xlsx").content)
    assert "'-2+3" in texts
    texts = workbook_texts(c.get(reverse("legal:registry", args=["advisers"]) + "?export=xlsx").content)
    assert "'" + EVIL in texts and "'=1+1" in texts  # the service strips the leading "\r" of the duty hours
    (event,) = _exports("legal_services.lawyer")
    assert event.data["rows"] == 2  # 陈律师 and the hostile one in town 1; town 2's adviser is not legal's
