"""In chromium against a real server: an officer builds and sends a survey, a grid worker fills
it on a phone, the officer's results page draws its chart (issue 6)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.tasks.survey_models import Survey, SurveyResponse
from tests.browser.conftest import db_url  # noqa: F401  (SQLite only)
from tests.browser.support import screenshot
from tests.factories import PASSWORD, City


def _log_in(page: Page, base: str, path: str, username: str) -> None:
    page.goto(f"{base}{path}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(f"{base}{path}")


def _build_and_send(page: Page, base: str) -> None:
    """The officer's builder: three questions, a fourth added by htmx, grid g1, then send."""
    _log_in(page, base, "/surveys/new", "officer_m1")
    page.fill("input[name=title]", "门岗与物资 Gates and supplies")
    page.fill("input[name=q1_prompt]", "门岗是否有人值守 Is the gate staffed?")
    page.select_option("select[name=q1_kind]", "yes_no")
    page.fill("input[name=q2_prompt]", "湖北返回户数 Households back from Hubei")
    page.select_option("select[name=q2_kind]", "number")
    page.fill("input[name=q2_min]", "0")
    page.fill("input[name=q2_max]", "500")
    page.fill("input[name=q3_prompt]", "口罩需求 Masks needed")
    page.fill(
        "textarea[name=q3_options]", "不需要 none\n100只以下 under 100\n100只以上 100 or more"
    )
    page.click("#add-question")
    page.fill("input[name=q4_prompt]", "急需物资 Supplies short")  # the block htmx added
    page.select_option("select[name=q4_kind]", "multiple_choice")
    page.fill("textarea[name=q4_options]", "食品 food\n药品 medicine")
    page.uncheck("input[name=q4_required]")
    page.get_by_label("测试g1", exact=True).check()
    screenshot(page, "survey-builder-officer")
    page.get_by_role("button", name="保存草稿 Save draft").click()
    expect(page).to_have_url(re.compile(r"/surveys/\d+/results$"))
    page.click("#send")
    expect(page.locator("h1 + p")).to_contain_text("已发送 sent")


def test_grid_worker_fills_on_a_phone_and_the_officer_sees_the_chart(
    browser: Browser, phone: Page, live_server: str, city: City, db: Session
) -> None:
    office = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    office.set_default_timeout(10_000)
    officer = office.new_page()
    _build_and_send(officer, live_server)
    survey_id = db.scalars(select(Survey.id)).one()

    _log_in(phone, live_server, "/surveys", "gridworker_g1")
    card = phone.locator(f"#to-fill li[data-survey='{survey_id}']")
    expect(card).to_contain_text("待填 to fill")
    card.locator("a").click()
    phone.get_by_label("是 yes").check()
    phone.fill("#question-2 input[type=number]", "3")
    phone.get_by_role("button", name="提交 Submit").click()  # question 3 left out: refused
    expect(phone.locator("#fill-error")).to_contain_text("question 3 '口罩需求 Masks needed'")
    expect(phone.get_by_label("是 yes")).to_be_checked()  # what was given is kept
    expect(phone.locator("#question-2 input[type=number]")).to_have_value("3")
    phone.get_by_label("100只以下 under 100").check()
    phone.get_by_label("药品 medicine").check()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the form scrolls sideways on a phone ({width}px)"
    screenshot(phone, "survey-fill-grid-worker-phone")
    phone.get_by_role("button", name="提交 Submit").click()
    expect(phone).to_have_url(f"{live_server}/surveys?done={survey_id}")
    expect(card).to_contain_text("已填 answered")

    officer.goto(f"{live_server}/surveys/{survey_id}/results")
    expect(officer.locator("#rates tr[data-division]").first).to_contain_text("测试g1")
    expect(officer.locator("#total")).to_contain_text("100%")
    charts = officer.locator(".question-result .js-plotly-plot")
    expect(charts).to_have_count(3)  # yes/no, single and multiple choice; none for the number
    expect(charts.first.locator(".main-svg").first).to_be_visible()
    expect(officer.locator("#result-q" + _question_id(db, survey_id))).to_contain_text("3")
    screenshot(officer, "survey-results-officer")
    office.close()
    db.expire_all()
    response = db.scalars(select(SurveyResponse)).one()
    assert (response.submitted_by, response.revision) == ("gridworker_g1", 1)


def _question_id(db: Session, survey_id: int) -> str:
    from epicontrol.tasks.survey_models import SurveyQuestion

    query = select(SurveyQuestion.id).where(
        SurveyQuestion.survey_id == survey_id, SurveyQuestion.position == 2
    )
    return str(db.scalars(query).one())
