"""Checkpoint and check-in pages in chromium on a phone-sized screen, against a real server."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, Playwright, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.movements.models import Movement, MovementKind
from tests.browser.support import (
    GATE,
    assign_gate,
    issue_passes,
    screenshot,
    write_qr_video,
)
from tests.browser_fixtures import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.factories import PASSWORD, City

GREEN = "rgb(11, 138, 62)"


def log_in_through(page: Page, base: str, path: str, username: str) -> None:
    """Open a page anonymously, get sent to the login form, and come back logged in."""
    page.goto(f"{base}{path}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(f"{base}{path}")


def record(page: Page, code: str, temperature: str = "") -> None:
    page.fill("#code", code)
    page.fill("#temperature", temperature)
    page.click("#scan-form button[type=submit]")


def test_operator_types_a_pass_and_sees_green_and_direction(
    phone: Page, live_server: str, city: City, db: Session
) -> None:
    assign_gate(db)
    wang = issue_passes(db, city, "wang_father")["wang_father"]
    log_in_through(phone, live_server, "/checkpoint", "checkpoint_m1")
    expect(phone.locator("#checkpoint h1")).to_contain_text("测试小区东门")
    result = phone.locator("#result")
    record(phone, wang.payload, "36.5")
    expect(result).to_have_attribute("data-colour", "green")
    expect(result).to_have_css("background-color", GREEN)
    expect(result).to_contain_text("进 IN")
    expect(result).to_contain_text("王**")
    screenshot(phone, "checkpoint-green-in")
    record(phone, wang.pass_id.lower(), "38.1")  # typed pass id; leaving, with a fever
    expect(result).to_contain_text("出 OUT")
    expect(result.locator(".fever")).to_contain_text("38.1")
    screenshot(phone, "checkpoint-fever-out")


def test_revoked_and_forged_passes_show_a_red_message(
    phone: Page, live_server: str, city: City, db: Session
) -> None:
    assign_gate(db)
    old = issue_passes(db, city, "neighbour")["neighbour"]
    issue_passes(db, city, "neighbour")  # a reissue revokes the old pass
    log_in_through(phone, live_server, "/checkpoint", "checkpoint_m1")
    message = phone.locator("#result .error")
    record(phone, old.payload)
    expect(message).to_contain_text(f"pass {old.pass_id} has been revoked")
    body, signature = old.payload.rsplit(".", 1)
    record(phone, f"{body}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}")
    expect(message).to_contain_text("forged or altered")
    expect(message).to_have_css("color", "rgb(179, 38, 30)")
    expect(phone.locator("#result")).not_to_have_attribute("data-colour", re.compile("."))
    screenshot(phone, "checkpoint-forged")
    db.expire_all()
    assert db.scalars(select(Movement)).all() == []


def test_resident_checks_in_and_out_at_a_place_qr(
    phone: Page, live_server: str, city: City, db: Session
) -> None:
    log_in_through(phone, live_server, f"/c/{GATE}", "resident_wang")
    state = phone.locator("#checkin-state")
    expect(state).to_have_attribute("data-state", "none")
    phone.get_by_role("button", name="签到 Check in").click()
    expect(state).to_have_attribute("data-state", "in")
    expect(state).to_contain_text("Checked in since")
    expect(state).to_contain_text("Auto check-out at")
    screenshot(phone, "checkin-in")
    phone.get_by_role("button", name="签出 Check out").click()
    expect(state).to_have_attribute("data-state", "out")
    expect(state).to_contain_text("已签出 Checked out")
    screenshot(phone, "checkin-out")
    db.expire_all()
    rows = db.execute(select(Movement.kind, Movement.direction).order_by(Movement.id)).all()
    assert [tuple(r) for r in rows] == [(MovementKind.CHECKIN, "in"), (MovementKind.CHECKIN, "out")]


def test_officer_poster_qr_decodes_to_the_check_in_address(
    phone: Page, live_server: str, city: City
) -> None:
    log_in_through(phone, live_server, f"/places/{GATE}/poster", "officer_m1")
    expect(phone.locator("#poster h1")).to_have_text("测试小区东门")
    phone.add_script_tag(url="/static/vendor/jsQR.js")  # the page's own vendored decoder
    decoded = phone.evaluate(
        """() => {
            const img = document.querySelector("img.qr");
            const canvas = document.createElement("canvas");
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            const context = canvas.getContext("2d");
            context.fillStyle = "#fff"; context.fillRect(0, 0, canvas.width, canvas.height);
            context.drawImage(img, 0, 0);
            const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
            const found = jsQR(pixels.data, pixels.width, pixels.height);
            return found && found.data;
        }"""
    )
    assert decoded == f"{live_server}/c/{GATE}"
    screenshot(phone, "place-poster")


def test_operator_scans_a_pass_with_the_camera(
    playwright_driver: Playwright, live_server: str, city: City, db: Session, tmp_path: Path
) -> None:
    assign_gate(db)
    wang = issue_passes(db, city, "wang_father")["wang_father"]
    video = write_qr_video(tmp_path / "pass.y4m", wang.payload)
    camera_args = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *camera_args], headless=True
    )
    try:
        context = browser.new_context(**PHONE, permissions=["camera"])  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        page = context.new_page()
        log_in_through(page, live_server, "/checkpoint", "checkpoint_m1")
        page.click("#camera-start")
        result = page.locator("#result")
        expect(result).to_have_attribute("data-colour", "green")
        expect(result).to_contain_text("王**")
        expect(page.locator("#camera-status")).to_contain_text(re.compile("jsQR|BarcodeDetector"))
        screenshot(page, "checkpoint-camera")
        page.wait_for_timeout(2500)  # the pass stays in view: it must not be scanned again
        page.click("#camera-start")
    finally:
        browser.close()
    db.expire_all()
    assert len(db.scalars(select(Movement)).all()) == 1
