"""Page weight (issue 17's `phone_first_visit_kb` and `dashboard_kb`): the grid worker's first visit and
the dashboard stay within their budgets, and pages without charts load no chart library."""

import pytest

from bench.pageweight import DASHBOARD_GOAL_KB, PHONE_FIRST_VISIT_GOAL_KB, dashboard, phone_first_visit

pytestmark = pytest.mark.django_db


def test_phone_first_visit_is_light(world):
    visit = phone_first_visit(world.grid_a.username)
    names = [name for name, _size in visit.items]
    assert "/cases/new/" in names and "/static/vendor/leaflet/leaflet.js" in names
    assert not any("echarts" in name for name in names), "no chart library on the phone's pages"
    assert visit.kb <= PHONE_FIRST_VISIT_GOAL_KB, visit.items


def test_dashboard_is_within_budget_with_the_slim_echarts(world):
    visit = dashboard(world.official.username)
    names = [name for name, _size in visit.items]
    assert "/static/build/echarts-slim.min.js" in names
    assert "/static/vendor/echarts/echarts.min.js" not in names
    assert visit.kb <= DASHBOARD_GOAL_KB, visit.items
