"""Dispute mediation in a real browser: grid_a reports a neighbour dispute, center_town assigns it,
the mediator holds two sessions, records the signed agreement, court confirmation and a follow-up,
then opens the agreement as DOCX; a second dispute at the same building is shown as high risk."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def act(page: Page, action: str, fill=None) -> None:
    events = page.locator(f'ol[data-testid=timeline] > li[data-event="{action}"]')
    before = events.count()
    box = page.locator(f'details[data-action="{action}"]')
    box.locator("summary").click()
    if fill:
        fill(box)
    box.get_by_test_id(f"do-{action}").click()
    expect(events).to_have_count(before + 1)
    expect(page.locator(".field-error")).to_have_count(0)


def test_mediator_takes_a_neighbour_dispute_to_a_confirmed_agreement(demo, open_page):
    from disputes.mediation.models import Dispute, MediationOrg
    from grids.models import Building

    building = Building.objects.filter(micro_grid__parent=demo.grid).order_by("name").first()
    assert building is not None, "seed_demo puts buildings in grid_a's grid"

    # 1. grid_a registers the dispute on a phone.
    page = open_page("grid_a", viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/disputes/new/")
    page.locator("select[name=kind]").select_option("neighbour")
    page.locator("select[name=source]").select_option("grid_worker")
    page.locator("textarea[name=summary]").fill("楼上卫生间漏水,楼下天花板受损,双方多次争执")
    page.locator("select[name=area]").select_option(str(demo.micro.pk))
    page.locator("select[name=building]").select_option(str(building.pk))
    page.locator("input[name=applicant_name]").fill("刘桂兰")
    page.locator("input[name=applicant_phone]").fill("13800001111")
    page.locator("input[name=respondent_name]").fill("王建国")
    page.get_by_test_id("submit-dispute").click()
    number = page.get_by_test_id("dispute-number")
    expect(number).to_be_visible()
    dispute = Dispute.objects.get(number=number.inner_text().strip())
    expect(page.get_by_test_id("dispute-status")).to_have_text("已登记")

    # 2. The town center assigns it to town 1's people's mediation committee and its mediator.
    committee = MediationOrg.objects.get(code=f"tc-{demo.town1.code}")
    center = open_page("center_town")
    center.goto(f"/disputes/{dispute.pk}/")
    act(
        center,
        "assign",
        lambda box: (
            box.locator("select[name=assign-organisation]").select_option(str(committee.pk)),
            box.locator("select[name=assign-mediator]").select_option(str(demo.users["mediator"].pk)),
        ),
    )
    expect(center.get_by_test_id("dispute-status")).to_have_text("已指派")

    # 3. The mediator finds it on the home page and takes it through the mediation.
    page = open_page("mediator", viewport=DESKTOP)
    expect(page.get_by_test_id("mediator-home")).to_be_visible()
    page.locator('[data-mediation-tab="to_accept"]').click()
    page.locator(f'tr[data-dispute="{dispute.number}"] a').click()
    act(page, "accept")
    for n, when in enumerate(["2026-11-20T09:30", "2026-11-24T14:00"], start=1):
        act(
            page,
            "session",
            lambda box, n=n, when=when: (
                box.locator("input[name=session-held_at]").fill(when),
                box.locator("input[name=session-place]").fill("湖滨社区调解室"),
                box.locator("input[name=session-attendees]").fill("刘桂兰、王建国、调解员周秀英"),
                box.locator("textarea[name=session-notes]").fill(f"第{n}次调解:听取双方陈述,查看漏水现场"),
            ),
        )
    act(
        page,
        "agree",
        lambda box: (
            box.locator("textarea[name=agree-terms]").fill(
                "一、王建国于十日内修复卫生间防水层;\n二、王建国赔偿刘桂兰装修损失三千元。"
            ),
            box.locator("input[name=agree-signed_at]").fill("2026-11-25"),
        ),
    )
    expect(page.get_by_test_id("dispute-status")).to_have_text("调解成功")
    act(page, "confirm", lambda box: box.locator("select[name=confirm-court_confirmed]").select_option("true"))
    expect(page.get_by_test_id("court-confirmed")).to_have_text("已确认")
    act(
        page,
        "follow_up",
        lambda box: (
            box.locator("textarea[name=follow_up-note]").fill("防水已修复,赔偿已支付,双方和好"),
            box.locator("select[name=follow_up-satisfied]").select_option("true"),
        ),
    )
    events = page.locator("ol[data-testid=timeline] > li").evaluate_all("els => els.map(e => e.dataset.event)")
    assert events == ["create", "assign", "accept", "session", "session", "agree", "confirm", "follow_up"]

    # 4. The agreement opens as DOCX, and prints as HTML.
    with page.expect_download() as download:
        page.get_by_test_id("agreement-docx").first.click()
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(open(download.value.path(), "rb").read())).paragraphs)
    assert "人民调解协议书" in text and "王建国于十日内修复卫生间防水层" in text and "已经人民法院确认" in text
    page.get_by_test_id("agreement-link").click()
    expect(page.get_by_test_id("agreement-document")).to_contain_text("刘桂兰")

    # 5. A second dispute at the same building within the period: high risk, with the reason shown.
    page = open_page("grid_a")
    page.goto("/disputes/new/")
    page.locator("select[name=kind]").select_option("neighbour")
    page.locator("textarea[name=summary]").fill("同一楼栋楼道堆物引发争吵")
    page.locator("select[name=area]").select_option(str(demo.micro.pk))
    page.locator("select[name=building]").select_option(str(building.pk))
    page.locator("input[name=applicant_name]").fill("赵春生")
    page.get_by_test_id("submit-dispute").click()
    expect(page.get_by_test_id("risk-level")).to_contain_text("高")
    expect(page.get_by_test_id("risk-reasons")).to_contain_text(building.name)
    expect(page.get_by_test_id("risk-reasons")).to_contain_text(re.compile(r"已有 \d+ 起纠纷"))
