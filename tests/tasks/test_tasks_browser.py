"""A grid worker completes a task on a phone-sized chromium (issue 6), without reloading."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.tasks.models import GridTask, TaskKind
from epicontrol.tasks.service import NewTask, create
from tests.browser.conftest import db_url  # noqa: F401
from tests.browser.support import screenshot
from tests.factories import PASSWORD, City

OVERDUE_BACKGROUND = "rgb(253, 236, 234)"  # #fdecea


def _task(db: Session, city: City, resident: str, due_in: timedelta) -> int:
    now = datetime.now(UTC)
    task = create(
        db,
        task=NewTask(
            kind=TaskKind.FOLLOW_UP_CALL,
            division_id=city.divisions["g1"],
            resident_id=city.residents[resident],
            title="未按时报告健康状况 No daily health report for over 24 h: call",
            due_at=now + due_in,
        ),
        created_by="officer_m1",
        now=now,
    )
    assert task is not None
    db.commit()
    return task.id


def test_grid_worker_completes_an_overdue_task_on_a_phone(
    phone: Page,
    live_server: str,
    city: City,
    db: Session,
) -> None:
    late = _task(db, city, "wang_father", -timedelta(hours=2))
    _task(db, city, "neighbour", timedelta(hours=3))
    phone.goto(f"{live_server}/tasks")
    expect(phone).to_have_url(re.compile(r"/login\?next="))
    phone.fill("input[name=username]", "gridworker_g1")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form[action='/login'] button[type=submit]")
    expect(phone).to_have_url(f"{live_server}/tasks")

    card = phone.locator(f"#task-{late}")
    expect(card).to_have_css("background-color", OVERDUE_BACKGROUND)
    expect(card).to_contain_text("已逾期 overdue")
    expect(phone.locator("#overdue-count")).to_have_text("1")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    screenshot(phone, "tasks-grid-worker-phone")

    card.locator("textarea[name=notes]").fill("已电话联系，体温36.6 Called: 36.6 °C, at home")
    card.get_by_role("button", name="完成 Complete").click()

    done = phone.locator(f"#task-{late}")
    expect(done).to_have_attribute("data-status", "done")
    expect(done).to_contain_text("Called: 36.6 °C")
    expect(phone.locator("#open-count")).to_have_text("1")
    expect(phone.locator("#overdue-count")).to_have_text("0")
    expect(phone).to_have_url(f"{live_server}/tasks")  # updated in place
    screenshot(phone, "tasks-grid-worker-phone-done")
    db.expire_all()
    task = db.scalars(select(GridTask).where(GridTask.id == late)).one()
    assert (task.status, task.completed_by) == ("done", "gridworker_g1")
