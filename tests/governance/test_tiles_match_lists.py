"""Every count on a home page or the dashboard opens exactly the list it counts (issue 12)."""

import html
import re

import pytest

from disputes import services
from disputes.sweep import sweep_deadlines
from tests.clock import at, clock

pytestmark = pytest.mark.django_db

TILE = re.compile(
    r'<a [^>]*?(?:href="(?P<href1>[^"]+)"[^>]*?data-(?:home-tile|home-tab|kpi-link)="(?P<name1>[^"]+)"'
    r'|data-(?:home-tile|home-tab|kpi-link)="(?P<name2>[^"]+)"[^>]*?href="(?P<href2>[^"]+)")[^>]*>\s*'
    r'<span class="kpi-value"[^>]*>(?P<count>\d+)</span>'
)
TOTAL = re.compile(r"<span data-total>(\d+)</span>")
TAB_COUNT = re.compile(
    r'data-tab="(?P<tab>[a-z_]+)">[^<]*<span class="tab-count" data-tab-count="[a-z_]+">(\d+)</span>'
)


def tiles(page: str) -> list[tuple[str, str, int]]:
    found = []
    for m in TILE.finditer(page):
        found.append(
            (m.group("name1") or m.group("name2"), html.unescape(m.group("href1") or m.group("href2")), int(m["count"]))
        )
    return found


def total_of(client, url: str) -> int:
    page = client.get(url).content.decode()
    m = TOTAL.search(page)
    assert m, url
    return int(m.group(1))


@pytest.fixture
def busy(world, report):
    """Town 1 cases in every state the tiles count: new, dispatched, escalated by hand, lapsed
    (escalated by the sweep), overdue, supervised, closed; and one in town 2."""
    with clock("2026-11-16 09:00"):
        new = report(title="new")
        dispatched = services.case_accept(case=report(title="dispatched"), by=world.center_town)
        services.case_dispatch(case=dispatched, by=world.center_town, lead_department=world.police1)
        services.case_supervise(case=dispatched, by=world.official, note="请加快", reply_within_hours=8)
        by_hand = services.case_escalate(case=report(title="escalated"), by=world.center_town, reason="重大")
        lapsing = services.case_accept(case=report(title="lapsing"), by=world.center_town)
        services.case_dispatch(case=lapsing, by=world.center_town, lead_department=world.urban1)
        closed = services.case_resolve_on_site(case=report(title="closed"), by=world.grid_a, result="已化解")
        services.case_feedback(case=closed, by=world.center_town, satisfaction="satisfied")
        services.case_close(case=closed, by=world.center_town)
        report(title="town2", by=world.grid_b, micro=world.t.micro_of(world.t.grids[2])[0])
    sweep_deadlines(now=at("2026-11-17 17:00"))  # sign-in clocks and the unaccepted cases lapse
    return new, dispatched, by_hand, lapsing


@pytest.mark.parametrize("persona", ["center_town", "center_district", "official"])
def test_every_home_tile_equals_the_total_of_its_list(world, busy, browser_client, persona):
    client = browser_client(getattr(world, persona))
    with clock("2026-11-17 17:05"):
        found = tiles(client.get("/").content.decode())
        assert {"open", "overdue", "closed"} <= {name for name, _h, _c in found}
        for name, href, count in found:
            assert total_of(client, href) == count, (persona, name, href)
    overdue = next(c for n, _h, c in found if n == "overdue")
    assert overdue > 0


@pytest.mark.parametrize("persona", ["center_town", "center_district", "dept_police"])
def test_queue_tab_counts_equal_their_lists(world, busy, browser_client, persona):
    client = browser_client(getattr(world, persona))
    with clock("2026-11-17 17:05"):
        page = client.get("/cases/").content.decode()
        counts = {m.group("tab"): int(m.group(2)) for m in TAB_COUNT.finditer(page)}
        assert counts
        for tab, count in counts.items():
            assert total_of(client, f"/cases/?tab={tab}") == count, (persona, tab)


def test_the_town_keeps_listing_what_it_escalated(world, busy, browser_client):
    _new, _dispatched, by_hand, lapsing = busy
    client = browser_client(world.center_town)
    page = client.get("/cases/?tab=escalated").content.decode()
    assert by_hand.number in page and lapsing.number in page


def test_the_official_filters_overdue_supervised_escalated_area_and_category(world, busy, browser_client, categories):
    _new, dispatched, by_hand, lapsing = busy
    client = browser_client(world.official)
    assert dispatched.number in client.get("/cases/?tab=visible&supervised=1").content.decode()
    page = client.get("/cases/?tab=visible&escalated=1").content.decode()
    assert by_hand.number in page and "closed</td>" not in page  # resolved on site, never escalated
    from disputes.models import Case
    from disputes.selectors import ESCALATED

    assert total_of(client, "/cases/?tab=visible&escalated=1") == Case.objects.filter(ESCALATED).count()
    page = client.get("/cases/?tab=visible&overdue=1").content.decode()
    assert lapsing.number in page
    assert total_of(client, f"/cases/?tab=visible&area={world.town2.pk}") == 1
    assert total_of(client, f"/cases/?tab=visible&category={categories.security.pk}") == 0


def test_the_dashboard_tiles_open_their_lists(world, busy, browser_client):
    client = browser_client(world.official)
    with clock("2026-11-17 17:05"):
        found = tiles(client.get("/dashboard/").content.decode())
        assert {name for name, _h, _c in found} == {"in_progress", "overdue"}
        for name, href, count in found:
            assert total_of(client, href) == count, (name, href)
