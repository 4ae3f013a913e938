"""For checkpoint page tests: test data, screenshots, a fake camera."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import numpy as np
import segno
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epicontrol.core.models import User
from epicontrol.health_code import service as passes
from epicontrol.places.models import Place
from tests.factories import PASSWORD, TEST_SECRET, City

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Route

GATE = "GATE-M1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def assign_gate(db: Session, *, username: str = "checkpoint_m1", place_code: str = GATE) -> int:
    """Post a checkpoint operator at a place (the test city posts checkpoint_m1 at GATE-M1)."""
    place_id = db.scalar(select(Place.id).where(Place.code == place_code))
    assert place_id is not None, place_code
    db.execute(update(User).where(User.username == username).values(place_id=place_id))
    db.commit()
    return place_id


def issue_passes(db: Session, city: City, *shorts: str) -> dict[str, passes.IssuedPass]:
    """Issue passes to residents of the test city, by their short names."""
    issued = {
        short: passes.issue(db, resident_id=city.residents[short], secret=TEST_SECRET, actor=None)
        for short in shorts
    }
    db.commit()
    return issued


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/ (gitignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def write_qr_video(path: Path, payload: str, *, width: int = 640, height: int = 480) -> Path:
    """A one-frame Y4M video of a QR code, for chromium's fake camera
    (--use-file-for-fake-video-capture), which loops it."""
    modules = np.array(segno.make(payload, error="m").matrix, dtype=bool)
    size = modules.shape[0] + 8  # the 4-module quiet zone on each side that readers need
    scale = int(min(width, height) * 0.9) // size
    luma = np.full((height, width), 235, dtype=np.uint8)  # video-range white
    code = np.kron(modules, np.ones((scale, scale), dtype=bool))
    top, left = (height - code.shape[0]) // 2, (width - code.shape[1]) // 2
    luma[top : top + code.shape[0], left : left + code.shape[1]][code] = 16  # video-range black
    chroma = np.full((height // 2) * (width // 2), 128, dtype=np.uint8)  # grey: no colour
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + b"FRAME\n" + luma.tobytes() + chroma.tobytes() + chroma.tobytes())
    return path


def keep_on_loopback(context: BrowserContext) -> list[str]:
    """Abort every request of `context` to a host but 127.0.0.1, as on a network without
    internet; returns the list the aborted addresses are added to (a test asserts it empty)."""
    outside: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    return outside


def log_in_page(page: Page, base: str, username: str, then: str) -> None:
    """Log in afresh (cookies cleared) through the login form, to land on `then` (URL-encoded)."""
    page.context.clear_cookies()
    page.goto(f"{base}/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    # Wait for the landing page's load event: before it, deferred htmx has not yet bound its
    # triggers, and a change made then is lost (seen in CI on the resumption queue's filter).
    page.wait_for_url(lambda url: urlsplit(url).path != "/login", wait_until="load")
