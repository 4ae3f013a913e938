"""The officers' article pages: the form, its errors, and the review buttons by role."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.auth import issue_token
from epicontrol.core.models import User
from epicontrol.portal.article_models import Article
from tests.browser.conftest import db_url  # noqa: F401  (SQLite only: the API tests run both)
from tests.factories import TEST_SECRET, City

FORM = {
    "kind": "fact",
    "title_zh": "怎样正确洗手？",
    "title_en": "How should I wash my hands?",
    "body_zh": "用流动的水和肥皂洗手，至少20秒。",
    "body_en": "Wash with soap under running water for at least 20 seconds.",
    "source": "WHO",
}
HTML = {"Accept": "text/html"}


def _as(db: Session, username: str) -> dict[str, str]:
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    return {**HTML, "Authorization": f"Bearer {issue_token(TEST_SECRET, user_id)}"}


def test_an_officer_drafts_on_the_form_and_a_commander_publishes_from_the_page(
    client: TestClient, db: Session, city: City
) -> None:
    anonymous = client.get("/articles", headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/articles"
    officer, commander = _as(db, "officer_m1"), _as(db, "commander")
    assert 'name="title_en"' in client.get("/articles/new", headers=officer).text

    missing = client.post("/articles/new", data={**FORM, "body_en": " "}, headers=officer)
    assert missing.status_code == 422
    assert "英文正文 English text" in missing.text
    assert 'value="How should I wash my hands?"' in missing.text  # what was typed is kept
    assert db.scalars(select(Article)).all() == []

    created = client.post("/articles/new", data=FORM, headers=officer, follow_redirects=False)
    assert created.status_code == 303
    location = re.fullmatch(r"/articles/(\d+)\?done=created", created.headers["location"])
    assert location is not None
    article_id = int(location[1])
    page = client.get(f"/articles/{article_id}", headers=officer).text
    assert 'id="article-form"' in page and 'data-step="submit"' in page
    assert 'data-step="publish"' not in page
    client.post(f"/articles/{article_id}/submit", headers=officer)
    assert "等待其他审核人发布" in client.get(f"/articles/{article_id}", headers=officer).text

    queue = client.get("/articles?state=in_review", headers=commander).text
    assert f'data-article="{article_id}"' in queue and "待审核 In review" in queue
    review = client.get(f"/articles/{article_id}", headers=commander).text
    assert 'data-step="publish"' in review and 'data-step="send_back"' in review
    assert 'id="article-form"' not in review  # only the author edits
    no_reason = client.post(
        f"/articles/{article_id}/send-back", data={"note": ""}, headers=commander
    )
    assert no_reason.status_code == 422 and "说明 note" in no_reason.text

    published = client.post(
        f"/articles/{article_id}/publish", data={"note": "ok"}, headers=commander
    )
    assert published.status_code == 200 and "已发布 Published" in published.text
    assert 'data-step="withdraw"' in published.text
    assert (
        "How should I wash my hands?" in client.get(f"/public/articles/{article_id}?lang=en").text
    )
    again = client.post(f"/articles/{article_id}/publish", headers=commander)
    assert again.status_code == 409 and "it can be published only when in review" in again.text
