"""The legal-services workbench in a real browser: legal records a consultation, refers it to legal
aid, takes the application through review (the eligibility reasons on screen) to an assigned
lawyer, closes it, and logs a 普法 event that appears on the town's calendar."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE
from .test_journeys import act, fill_textarea

pytestmark = pytest.mark.e2e


def test_legal_takes_a_consultation_through_legal_aid_and_logs_an_event(demo, open_page):
    from legal_services.models import AidApplication, LawEvent

    page = open_page("legal", viewport=DESKTOP)
    expect(page.get_by_test_id("home-legal")).to_be_visible()
    page.get_by_test_id("nav-legal").click()
    expect(page).to_have_url(re.compile(r"/legal/$"))
    expect(page.get_by_test_id("to-review")).to_be_visible()

    # 1. A consultation at the window.
    page.get_by_test_id("new-consultation").click()
    form = page.get_by_test_id("legal-form")
    form.locator("select[name=topic]").select_option("wages")
    form.locator("input[name=channel][value=in_person]").check()
    form.locator("input[name=name]").fill("刘建军")
    form.locator("textarea[name=question]").fill("在工地干了半年,老板拖欠工资两万元,该怎么办?")
    form.get_by_test_id("submit").click()
    expect(page.get_by_test_id("consultation-status")).to_have_text("待答复")

    # 2. Referred on to legal aid.
    box = page.locator('details[data-action="refer-aid"]')
    box.locator("summary").click()
    box.locator("input[name=monthly_income]").fill("1200")
    box.get_by_test_id("do-refer-aid").click()
    expect(page.get_by_test_id("aid-status")).to_have_text("已申请")
    number = page.get_by_test_id("aid-number").inner_text().strip()
    expect(page.get_by_test_id("referrals")).to_contain_text("刘建军")

    # 3. Review, with the eligibility reasons shown; approve; assign a lawyer; close.
    act(page, "review")
    eligibility = page.get_by_test_id("eligibility")
    expect(eligibility).to_contain_text("属于法律援助事项范围")
    expect(eligibility).to_contain_text("不高于标准 1500")
    expect(page.get_by_test_id("eligible")).to_have_text("符合援助条件")
    act(page, "approve", fill_textarea("comment", "经审查符合法律援助条件"))

    def pick_lawyer(box):
        select = box.locator("select[name=lawyer]")
        select.select_option(index=1)

    act(page, "assign", pick_lawyer)
    expect(page.get_by_test_id("aid-lawyer")).to_be_visible()
    act(page, "close", fill_textarea("outcome", "经调解,用人单位支付全部欠薪"))
    expect(page.get_by_test_id("aid-status")).to_have_text("已结案")
    assert AidApplication.objects.get(number=number).status == "closed"

    # 4. A 普法 event, which lands on the town's calendar.
    page.goto("/legal/")
    page.get_by_test_id("new-event").click()
    form = page.get_by_test_id("legal-form")
    form.locator("input[name=held_on]").fill("2026-11-20")
    form.locator("select[name=topic]").select_option("anti_fraud")
    form.locator("input[name=title]").fill("反诈宣传进社区")
    form.locator("input[name=place]").fill("沙河街道文化广场")
    form.locator("input[name=audience]").fill("260")
    form.locator("input[name=materials]").fill("500")
    form.locator("select[name=area]").select_option(label=demo.town1.name)
    form.get_by_test_id("submit").click()
    event = LawEvent.objects.get(title="反诈宣传进社区")
    expect(page.locator(f'[data-calendar-event="{event.pk}"]')).to_be_visible()


def test_the_workbench_fits_a_phone(demo, open_page):
    page = open_page("legal", viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/legal/")
    expect(page.get_by_test_id("legal-kpis")).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1


def test_legal_refers_a_consultation_to_mediation_and_the_dispute_on_to_legal_aid(demo, open_page):
    """Referrals both ways: the consultation becomes a dispute (转人民调解), the dispute page shows
    where it came from and offers 转法律援助 to legal staff; the application shows where it came from."""
    from disputes.mediation.models import Dispute

    page = open_page("legal", viewport=DESKTOP)
    page.goto("/legal/consultations/new/")
    form = page.get_by_test_id("legal-form")
    form.locator("select[name=topic]").select_option("neighbour")
    form.locator("input[name=channel][value=in_person]").check()
    form.locator("input[name=name]").fill("周桂兰")
    form.locator("textarea[name=question]").fill("楼上邻居装修噪音扰民,多次沟通无果")
    form.get_by_test_id("submit").click()
    expect(page.get_by_test_id("consultation-status")).to_have_text("待答复")

    box = page.locator('details[data-action="refer-dispute"]')
    box.locator("summary").click()
    box.locator("select[name=kind]").select_option("neighbour")
    box.locator("input[name=respondent]").fill("楼上住户")
    box.get_by_test_id("do-refer-dispute").click()
    expect(page.get_by_test_id("referrals")).to_contain_text("矛盾纠纷")
    dispute = Dispute.objects.get(summary="楼上邻居装修噪音扰民,多次沟通无果")

    page.get_by_test_id("referrals").get_by_role("link", name=dispute.number).click()
    expect(page).to_have_url(re.compile(rf"/disputes/{dispute.pk}/$"))
    expect(page.get_by_test_id("referrals")).to_contain_text("周桂兰")
    page.get_by_test_id("refer-aid").click()
    form = page.get_by_test_id("legal-form")
    expect(form.locator("textarea[name=reason]")).to_have_value("楼上邻居装修噪音扰民,多次沟通无果")
    form.locator("select[name=matter]").select_option("neighbour")
    form.get_by_test_id("submit").click()
    expect(page.get_by_test_id("aid-status")).to_have_text("已申请")
    expect(page.get_by_test_id("referrals")).to_contain_text(dispute.number)

    # the town center sees both links on the dispute
    center = open_page("center_town", viewport=DESKTOP)
    center.goto(f"/disputes/{dispute.pk}/")
    expect(center.locator('[data-referral="consultation"]')).to_be_visible()
    expect(center.locator('[data-referral="aid"]')).to_be_visible()
    expect(center.get_by_test_id("refer-aid")).to_have_count(0)
