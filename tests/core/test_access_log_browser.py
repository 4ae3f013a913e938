"""The access-log page on a phone in chromium, in Chinese then English; screenshots saved."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.deps import load_principal
from epicontrol.core.models import User
from tests.browser.conftest import db_url  # noqa: F401  (SQLite only, like the other browser tests)
from tests.browser.support import screenshot
from tests.factories import PASSWORD, City


def _read_by(db: Session, username: str, resident_id: int, purpose: str) -> None:
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    staff = load_principal(db, user_id)
    audit.record(
        db, actor=staff, action="read", entity="risk_status", entity_id=resident_id, purpose=purpose
    )


def test_access_log_page_on_a_phone(phone: Page, live_server: str, city: City, db: Session) -> None:
    wang = city.residents["wang_father"]
    _read_by(db, "gridworker_g1", wang, "fever follow-up")
    _read_by(db, "epidemiologist", wang, "contact tracing")
    _read_by(db, "epidemiologist", city.residents["neighbour"], "epidemiological investigation")
    db.commit()

    phone.goto(f"{live_server}/public/me/access-log?lang=zh")
    expect(phone).to_have_url(re.compile(r"/login\?next="))
    phone.fill("input[name=username]", "resident_wang")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form[action='/login'] button[type=submit]")
    expect(phone.locator("#access-log-title")).to_have_text("谁查看了我的信息")
    staff = phone.locator("#access-log-entries li[data-self=no]")
    expect(staff).to_have_count(2)
    expect(staff.first).to_contain_text("疾控流调人员")
    expect(staff.first.locator(".purpose")).to_have_text("密接追踪")
    expect(staff.last).to_contain_text("网格员")
    expect(staff.last).to_contain_text("测试g1")
    assert "gridworker_g1" not in phone.content() and "流行病学调查" not in phone.content()
    screenshot(phone, "portal-access-log-zh")

    phone.locator("#language-switch a[hreflang=en]").click()
    expect(phone.locator("#access-log-title")).to_have_text("Who accessed my record")
    expect(staff.first).to_contain_text("Epidemiologist (CDC)")
    expect(staff.last.locator(".purpose")).to_have_text("fever follow-up")
    screenshot(phone, "portal-access-log-en")
