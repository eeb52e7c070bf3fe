"""The five journeys in a real browser: report on a phone, the center and the departments, the official's
dashboard and reports, escalation after a missed deadline, and the English interface.

Fixtures (tests/e2e/conftest.py): `demo` seeds the demo district into the live server's database;
`open_page(user, viewport=...)` logs that demo user in through the login page of a fresh browser context.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from .conftest import DESKTOP, PHONE, WIDE

pytestmark = pytest.mark.e2e

HAN = re.compile(r"[\u4e00-\u9fff]+")


# ---------------------------------------------------------------------------------------------
# Helpers


def timeline_events(page: Page) -> list[str]:
    return page.locator("ol[data-testid=timeline] > li").evaluate_all("els => els.map(e => e.dataset.event)")


def act(page: Page, action: str, fill=None) -> None:
    """Open the <details data-action=ACTION>, fill its form, press its do-ACTION button, and wait for
    the reloaded case page to show one more ACTION event on the timeline."""
    events = page.locator(f'ol[data-testid=timeline] > li[data-event="{action}"]')
    before = events.count()
    box = page.locator(f'details[data-action="{action}"]')
    box.locator("summary").click()
    if fill:
        fill(box)
    box.get_by_test_id(f"do-{action}").click()
    expect(events).to_have_count(before + 1)
    expect(page.locator(".field-error")).to_have_count(0)


def fill_textarea(name: str, text: str):
    return lambda box: box.locator(f"textarea[name={name}]").fill(text)


def expect_actions(page: Page, *, present=(), absent=()) -> None:
    for action in present:
        expect(page.get_by_test_id(f"do-{action}")).to_have_count(1)
    for action in absent:
        expect(page.get_by_test_id(f"do-{action}")).to_have_count(0)


def kpi(page: Page, name: str) -> int:
    return int(page.locator(f'[data-testid=kpis] [data-kpi="{name}"]').inner_text().strip())


def new_case(demo, *, description="小区门口路面塌陷约两平方米,有积水", title=""):
    from disputes.services import case_create

    return case_create(
        by=demo.users["grid_a"],
        category=demo.road,
        description=description,
        title=title,
        lat=demo.micro.centroid_lat,
        lng=demo.micro.centroid_lng,
    )


def dispatched_case(demo, **kwargs):
    from disputes import services

    case = services.case_accept(case=new_case(demo, **kwargs), by=demo.users["center_town"])
    return services.case_dispatch(
        case=case, by=demo.users["center_town"], lead_department=demo.police, co_departments=[demo.urban]
    )


def clear_case_history() -> None:
    """seed_demo writes months of case history; some journeys need a district where only their case counts."""
    from disputes.models import Case

    Case.objects.filter(merged_into__isnull=False).update(merged_into=None)
    Case.objects.all().delete()


def closed_case(demo):
    from disputes import services

    center, police, urban = (demo.users[u] for u in ("center_town", "dept_police", "dept_urban"))
    case = dispatched_case(demo)
    case = services.case_sign(case=case, by=urban)
    case = services.case_report(case=case, by=urban, result="已设置围挡")
    case = services.case_sign(case=case, by=police)
    case = services.case_handle(case=case, by=police, result="路面已修复")
    case = services.case_verify(case=case, by=center)
    case = services.case_feedback(case=case, by=center, satisfaction="satisfied")
    return services.case_close(case=case, by=center)


# ---------------------------------------------------------------------------------------------
# 1. A grid worker reports from a phone


def test_grid_worker_reports_a_case_from_a_phone(demo, open_page, tmp_path):
    from PIL import Image

    from disputes.models import Case

    photo = tmp_path / "pothole.png"
    Image.new("RGB", (64, 48), (180, 120, 60)).save(photo)

    page = open_page("grid_a", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.get_by_test_id("home-report").click()
    expect(page).to_have_url(re.compile(r"/cases/new/$"))

    # Drop the pin by tapping the map where the micro-grid's centroid is drawn.
    pick_map = page.get_by_test_id("pick-map")
    expect(pick_map).to_be_visible()
    page.wait_for_function("() => window.caseFormMap && window.caseFormMap.getSize().x > 0")
    point = page.evaluate(
        "([lat, lng]) => { const p = window.caseFormMap.latLngToContainerPoint([lat, lng]); return {x: p.x, y: p.y}; }",
        [demo.micro.centroid_lat, demo.micro.centroid_lng],
    )
    pick_map.tap(position=point)
    expect(page.get_by_test_id("routed")).to_contain_text(demo.micro.name)
    assert abs(float(page.locator("#id_lat").input_value()) - demo.micro.centroid_lat) < 1e-3
    assert abs(float(page.locator("#id_lng").input_value()) - demo.micro.centroid_lng) < 1e-3

    page.locator("select[name=category]").select_option(label=demo.road.name)
    page.locator("textarea[name=description]").fill("幸福路口路面塌陷,约两平方米,已设警示")
    page.locator("input[name=photos]").set_input_files(str(photo))
    page.get_by_test_id("submit-case").click()

    number = page.get_by_test_id("case-number")
    expect(number).to_be_visible()
    case = Case.objects.get(number=number.inner_text().strip())
    assert case.area_id == demo.micro.pk
    expect(page.get_by_test_id("case-area")).to_have_text(demo.micro.name)
    expect(page.locator(".attachments img")).to_have_count(1)

    page.goto("/cases/?tab=mine")
    expect(page.locator("a[data-tab=mine]")).to_have_class(re.compile(r"\bactive\b"))
    row = page.locator(f'tr[data-case="{case.number}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(case.number)
    expect(row).to_contain_text(demo.micro.name)


# ---------------------------------------------------------------------------------------------
# 2. The center dispatches, the departments sign, report and handle, the center closes


def test_center_and_departments_work_a_case_to_closure(demo, open_page):
    case = new_case(demo, title="幸福路路面塌陷")
    url = f"/cases/{case.pk}/"

    center = open_page("center_town", viewport=DESKTOP)
    center.goto(url)
    expect(center.get_by_test_id("case-number")).to_have_text(case.number)
    expect_actions(center, present=["accept", "reject"], absent=["dispatch", "close", "sign"])
    act(center, "accept")
    expect(center.get_by_test_id("case-status")).to_have_class(re.compile(r"status-accepted"))
    expect_actions(center, present=["dispatch"], absent=["accept"])

    def dispatch_form(box):
        box.locator("select[name=lead_department]").select_option(label=demo.police.name)
        box.get_by_role("checkbox", name=demo.urban.name).check()
        box.locator("textarea[name=comment]").fill("请派出所牵头,城管中队协助设置围挡")

    act(center, "dispatch", dispatch_form)
    expect(center.get_by_test_id("case-status")).to_have_class(re.compile(r"status-dispatched"))
    assignments = center.get_by_test_id("assignments")
    expect(assignments).to_contain_text(demo.police.name)
    expect(assignments).to_contain_text(demo.urban.name)

    # The co-department: signs and reports; it cannot accept, dispatch or handle.
    urban = open_page("dept_urban", viewport=DESKTOP)
    urban.goto("/cases/?tab=to_sign")
    urban.locator(f'tr[data-case="{case.number}"] a').first.click()
    expect(urban.get_by_test_id("case-number")).to_have_text(case.number)
    expect_actions(urban, present=["sign", "return"], absent=["accept", "dispatch", "handle", "close", "verify"])
    act(urban, "sign")
    expect_actions(urban, present=["report"], absent=["sign", "handle", "accept", "dispatch"])
    act(urban, "report", fill_textarea("result", "已在塌陷处设置围挡和警示牌"))
    expect_actions(urban, absent=["report", "handle", "close"])

    # The lead department: signs (the case is now in progress) and handles.
    police = open_page("dept_police", viewport=DESKTOP)
    police.goto(url)
    expect_actions(police, present=["sign"], absent=["accept", "dispatch", "handle", "report", "close"])
    act(police, "sign")
    expect(police.get_by_test_id("case-status")).to_have_class(re.compile(r"status-in_progress"))
    expect_actions(police, present=["handle"], absent=["report", "verify", "close"])
    act(police, "handle", fill_textarea("result", "已协调市政修复路面"))
    expect(police.get_by_test_id("case-status")).to_have_class(re.compile(r"status-handled"))
    expect_actions(police, absent=["handle", "verify", "close"])

    # Back at the center: verify, satisfied feedback, close.
    center.goto(url)
    expect_actions(center, present=["verify", "rework"], absent=["sign", "handle", "close"])
    act(center, "verify")
    expect(center.get_by_test_id("case-status")).to_have_class(re.compile(r"status-verified"))
    act(center, "feedback", lambda box: box.locator("input[name=satisfaction][value=satisfied]").check())
    act(center, "close")
    expect(center.get_by_test_id("case-status")).to_have_class(re.compile(r"status-closed"))
    expect(center.get_by_test_id("actions")).to_have_count(0)

    events = timeline_events(center)
    expected = ["create", "accept", "dispatch", "sign", "report", "sign", "handle", "verify", "feedback", "close"]
    assert [e for e in events if e in set(expected)] == expected, events

    # The official reads the whole story but has nothing to do.
    official = open_page("official", viewport=DESKTOP)
    official.goto(url)
    expect(official.get_by_test_id("case-status")).to_have_class(re.compile(r"status-closed"))
    expect(official.locator("ol[data-testid=timeline] > li")).to_have_count(len(events))
    expect(official.get_by_test_id("actions")).to_have_count(0)
    expect(official.locator("details[data-action]")).to_have_count(0)


# ---------------------------------------------------------------------------------------------
# 3. The official: dashboard, drill-down, weekly report and its XLSX


def test_official_dashboard_drill_down_and_weekly_report(demo, open_page, tmp_path):
    import openpyxl

    from governance.reports import make_weekly_reports, previous_week_start

    week = previous_week_start()
    (report,) = make_weekly_reports(week_start=week, areas=[demo.district])

    page = open_page("official", viewport=WIDE)
    page.locator("header nav.mainnav > a[href$='/dashboard/']").click()
    expect(page.get_by_test_id("kpis")).to_be_visible()
    expect(page.get_by_test_id("dashboard-area")).to_have_text(demo.district.name)
    closed_before = kpi(page, "closed")  # the demo's own history already has closed cases

    closed_case(demo)
    page.reload()
    expect(page.locator('[data-testid=kpis] [data-kpi="closed"]')).to_have_text(str(closed_before + 1))
    assert kpi(page, "closed") >= 1

    drill = page.get_by_test_id("children").locator(f'a[data-drill="{demo.town1.pk}"]')
    expect(drill).to_have_text(demo.town1.name)
    drill.click()
    expect(page).to_have_url(re.compile(rf"[?&]area={demo.town1.pk}\b"))
    expect(page.get_by_test_id("dashboard-area")).to_have_text(demo.town1.name)
    breadcrumb = page.get_by_test_id("breadcrumb")
    expect(breadcrumb.locator("a")).to_have_text([demo.district.name])
    expect(breadcrumb.locator("strong")).to_have_text(demo.town1.name)
    assert kpi(page, "closed") >= 1

    page.locator("header nav.mainnav > a[href$='/reports/']").click()
    expect(page).to_have_url(re.compile(r"/reports/$"))
    row = page.locator(f'tr[data-report="{report.pk}"]')
    expect(row).to_contain_text(demo.district.name)
    expect(row).to_contain_text(week.isoformat())
    row.locator("td").first.locator("a").click()
    expect(page).to_have_url(re.compile(rf"/reports/{report.pk}/$"))
    expect(page.locator("h1")).to_contain_text(demo.district.name)

    with page.expect_download() as info:
        page.get_by_test_id("report-xlsx").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames
    cells = [str(v) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for v in row if v]
    assert any(demo.district.name in v for v in cells), cells[:20]


def test_official_generates_a_report_that_the_worker_makes(demo, open_page, worker):
    """The 生成报表 button only queues a task: the real worker makes the report, the progress page opens
    it by itself, and the announcement reaches the official's inbox and, through the worker, their email."""
    from governance.reports import period_label, previous_week_start

    official = demo.users["official"]
    official.email = "official@example.org"
    official.save(update_fields=["email"])
    period = period_label(kind="weekly", start=previous_week_start())

    page = open_page("official", viewport=WIDE)
    page.locator("header nav.mainnav > a[href$='/reports/']").click()
    page.get_by_test_id("generate-report").click()
    expect(page.locator("input[name=period]")).to_have_value(period)
    page.get_by_test_id("generate-submit").click()
    expect(page).to_have_url(re.compile(r"/reports/generate/progress/"))
    expect(page.locator("#report-progress")).to_contain_text(period)

    # Only the worker can make the report; the page polls and opens it when it exists.
    expect(page).to_have_url(re.compile(r"/reports/\d+/$"), timeout=60_000)
    expect(page.locator("h1")).to_contain_text(demo.district.name)
    with page.expect_download() as info:
        page.get_by_test_id("report-xlsx").click()
    assert info.value.suggested_filename.endswith(".xlsx")

    page.reload()
    expect(page.get_by_test_id("unread-count")).to_be_visible()
    page.locator("header a.inbox-link").click()
    notice = page.get_by_test_id("notification").filter(has_text=period).filter(has_text=demo.district.name)
    expect(notice).to_have_count(1)
    title = notice.locator(".notification-title").inner_text().strip()
    notice.locator("button").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+/$"))

    from tests.worker import wait_for

    assert wait_for(lambda: worker.emails_to("official@example.org"), 60), "the worker sent the official no email"
    emails = dict(worker.emails_to("official@example.org"))
    assert title in emails, list(emails)
    assert "/reports/" in emails[title]


# ---------------------------------------------------------------------------------------------
# 4. A dispatch nobody signs is swept after its deadline and escalates to the district


def test_unsigned_dispatch_escalates_after_the_sweep(demo, open_page):
    from disputes.models import Assignment
    from disputes.sweep import sweep_deadlines

    clear_case_history()  # so the sweep and the overdue KPI concern this case only
    case = dispatched_case(demo, title="路灯倒伏无人处理")
    url = f"/cases/{case.pk}/"

    page = open_page("official", viewport=DESKTOP)
    page.goto("/dashboard/")
    expect(page.locator('[data-testid=kpis] [data-kpi="overdue"]')).to_have_text("0")
    page.goto(url)
    expect(page.get_by_test_id("case-number")).to_have_text(case.number)
    expect(page.get_by_test_id("overdue")).to_have_count(0)
    expect(page.get_by_test_id("case-center")).to_contain_text(demo.town1.name)

    deadline = max(Assignment.objects.filter(case=case).values_list("sign_deadline", flat=True))
    result = sweep_deadlines(now=deadline + timedelta(minutes=1))
    assert result.red == 2 and result.escalated == 1 and result.cases == {case.pk}, str(result)

    page.reload()
    marker = page.get_by_test_id("overdue")
    expect(marker).to_be_visible()
    expect(marker).to_have_class(re.compile(r"\bpill-red\b"))
    red, green, blue = (int(c) for c in re.findall(r"\d+", marker.evaluate("el => getComputedStyle(el).color"))[:3])
    assert red > 120 and red > 2 * green and red > 2 * blue, (red, green, blue)
    expect(page.get_by_test_id("case-center")).to_have_text("区级社会治理中心")
    events = timeline_events(page)
    assert "deadline_red" in events and "escalate" in events, events

    page.locator("header nav.mainnav > a[href$='/dashboard/']").click()
    expect(page.get_by_test_id("kpis")).to_be_visible()
    assert kpi(page, "overdue") == 1

    # The district center now has the case.
    district = open_page("center_district", viewport=DESKTOP)
    district.goto(url)
    expect(district.get_by_test_id("case-center")).to_have_text("区级社会治理中心")
    expect(district.get_by_test_id("overdue")).to_be_visible()


# ---------------------------------------------------------------------------------------------
# 5. English: no Chinese left in the interface's own text


CHROME_TEXT_JS = """
() => {
  const skip = "script, style, noscript, template, select[name=language], .chart, [data-testid=dashboard-map], .leaflet-container";
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const text = node.textContent.trim();
    if (text) texts.push(text);
  }
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
    if (el.closest(skip)) continue;
    for (const attr of ["placeholder", "title", "aria-label"]) {
      const value = el.getAttribute(attr);
      if (value && value.trim()) texts.push(value.trim());
    }
  }
  return texts;
}
"""


def data_strings() -> list[str]:
    """Names and texts that are data, not interface: they stay Chinese in English."""
    from disputes.models import Case, CaseEvent, Category
    from grids.models import Area, Department, User

    values: set[str] = set()
    values.update(Area.objects.values_list("name", flat=True))
    values.update(Department.objects.values_list("name", flat=True))
    values.update(Category.objects.values_list("name", flat=True))
    for user in User.objects.all():
        values.update({user.get_full_name(), user.first_name, user.last_name, user.username})
    for case in Case.objects.all():  # the demo's case history too
        values.update({case.number, case.title, case.description, case.display_title, case.address})
    for event in CaseEvent.objects.all():
        values.add(event.comment)
        values.update(str(v) for v in event.data.values() if isinstance(v, str))
        values.update(str(v) for v in event.data.get("co_department_names", []))
    return sorted((v for v in values if v and HAN.search(v)), key=len, reverse=True)


def chinese_left(page: Page, data: list[str]) -> list[str]:
    texts = page.evaluate(CHROME_TEXT_JS)
    joined = "\n".join(texts)
    on_page = [value for value in data if value in joined]
    left = []
    for text in texts:
        for value in on_page:
            if value in text:
                text = text.replace(value, " ")
        left.extend(HAN.findall(text))
    return sorted(set(left))


def test_english_interface_has_no_chinese_chrome(demo, open_page):
    case = dispatched_case(demo, title="幸福路路面塌陷", description="小区门口路面塌陷约两平方米")

    page = open_page("center_town", viewport=DESKTOP)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.locator("header select[name=language]").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    data = data_strings()
    found: dict[str, list[str]] = {}
    for url in ["/", "/cases/", "/cases/?tab=all", f"/cases/{case.pk}/", "/dashboard/"]:
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        if url == f"/cases/{case.pk}/":
            for box in page.locator("details[data-action]").all():  # show the action forms too
                box.locator("summary").click()
        left = chinese_left(page, data)
        if left:
            found[url] = left
    assert not found, "Chinese interface text left in English:\n" + "\n".join(
        f"  {url}: {' | '.join(texts)}" for url, texts in found.items()
    )
