"""Articles: officers draft in both languages, another officer publishes, every step audited."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import issue_token
from epicontrol.core.db import engine_for, session_factory, utcnow
from epicontrol.core.deps import load_principal
from epicontrol.core.errors import Conflict
from epicontrol.core.models import User
from epicontrol.portal import article_workflow as workflow
from epicontrol.portal.article_models import Article, ArticleKind
from epicontrol.portal.article_schemas import ArticleIn
from epicontrol.portal.articles import published_articles
from tests.factories import TEST_SECRET, City

GARLIC = {
    "kind": "rumor",
    "title_zh": "吃大蒜可以预防新冠病毒感染",
    "title_en": "Eating garlic prevents infection",
    "body_zh": "没有证据表明吃大蒜能防止感染新冠病毒。\n\n预防感染靠戴口罩、勤洗手。",
    "body_en": "No evidence that garlic protects people.\n\nWear a mask and wash your hands.",
    "source": "世界卫生组织 WHO",
}


def _user_id(db: Session, username: str) -> int:
    found = db.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return found


def _as(db: Session, username: str) -> dict[str, str]:
    """Bearer headers of a test user (a real token, without argon2's deliberate slowness)."""
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET, _user_id(db, username))}"}


def _draft(client: TestClient, headers: dict[str, str], **changes: Any) -> int:
    response = client.post("/api/articles", json={**GARLIC, **changes}, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "draft"
    return int(response.json()["id"])


def _trail(db: Session, article_id: int) -> list[tuple[str, str, str]]:
    entries = audit.entries(db, entity="article", entity_id=str(article_id))
    return [(e.action, e.actor, e.outcome) for e in reversed(entries)]


def test_drafted_revised_published_by_another_and_withdrawn_each_step_audited(
    client: TestClient, db: Session, city: City
) -> None:
    officer, commander = _as(db, "epidemiologist"), _as(db, "commander")
    article_id = _draft(client, officer)
    client.post(f"/api/articles/{article_id}/submit", headers=officer)
    assert client.get(f"/api/public/articles/{article_id}").status_code == 404

    back = client.post(
        f"/api/articles/{article_id}/send-back",
        json={"note": "请补充来源 Please cite the source"},
        headers=commander,
    ).json()
    assert back["state"] == "draft" and back["review_note"].startswith("请补充来源")
    revised = {**GARLIC, "title_en": "Eating garlic prevents COVID-19"}
    assert (
        client.put(f"/api/articles/{article_id}", json=revised, headers=officer).status_code == 200
    )
    submitted = client.post(f"/api/articles/{article_id}/submit", headers=officer).json()
    assert submitted["state"] == "in_review" and submitted["submitted_at"]
    assert client.get(f"/public/articles/{article_id}").status_code == 404

    published = client.post(
        f"/api/articles/{article_id}/publish", json={"note": "核实无误"}, headers=commander
    ).json()
    assert published["state"] == "published" and published["published_at"]
    assert published["reviewer_id"] == _user_id(db, "commander")
    assert published["author_id"] == _user_id(db, "epidemiologist")
    public = client.get(f"/api/public/articles/{article_id}?lang=en").json()
    assert public["title"] == "Eating garlic prevents COVID-19"
    db.expire_all()
    assert [a.id for a in published_articles(db, kinds=[ArticleKind.RUMOR])] == [article_id]
    assert published_articles(db, kinds=["fact"]) == []

    withdrawn = client.post(
        f"/api/articles/{article_id}/withdraw",
        json={"note": "已过时 Out of date"},
        headers=commander,
    ).json()
    assert withdrawn["state"] == "withdrawn"
    assert client.get(f"/public/articles/{article_id}").status_code == 404
    assert client.get("/api/public/articles?kind=rumor").json()["total"] == 0
    db.expire_all()
    assert published_articles(db) == []
    assert _trail(db, article_id) == [
        ("article:create", "epidemiologist", "allowed"),
        ("article:submit", "epidemiologist", "allowed"),
        ("article:send_back", "commander", "allowed"),
        ("article:update", "epidemiologist", "allowed"),
        ("article:submit", "epidemiologist", "allowed"),
        ("article:publish", "commander", "allowed"),
        ("article:withdraw", "commander", "allowed"),
    ]
    last = audit.entries(db, entity="article", entity_id=str(article_id), limit=1)[0]
    assert "Out of date" in last.detail


def test_the_author_never_publishes_alone_and_only_the_author_edits(
    client: TestClient, db: Session, city: City
) -> None:
    commander, admin = _as(db, "commander"), _as(db, "admin")
    article_id = _draft(client, commander)
    for headers in (_as(db, "officer_m1"), admin):  # not the author
        for response in (
            client.put(f"/api/articles/{article_id}", json=GARLIC, headers=headers),
            client.post(f"/api/articles/{article_id}/submit", headers=headers),
        ):
            assert response.status_code == 403
            assert "only the author" in response.json()["detail"]
    client.post(f"/api/articles/{article_id}/submit", headers=commander)

    for step in ("publish", "send-back"):
        refused = client.post(
            f"/api/articles/{article_id}/{step}", json={"note": "ok"}, headers=commander
        )
        assert refused.status_code == 403, refused.text
        assert "another reviewer must" in refused.json()["detail"]
    # Community officers write but do not publish (policy: ARTICLE_PUBLISH).
    officer_publishes = client.post(
        f"/api/articles/{article_id}/publish", headers=_as(db, "officer_m1")
    )
    assert officer_publishes.status_code == 403
    grid_worker = _as(db, "gridworker_g1")
    assert client.post("/api/articles", json=GARLIC, headers=grid_worker).status_code == 403
    assert client.get("/api/articles", headers=grid_worker).status_code == 403
    assert client.post("/api/articles", json=GARLIC).status_code == 401
    db.expire_all()
    assert db.get(Article, article_id).state == "in_review"  # type: ignore[union-attr]
    denied = [t for t in _trail(db, article_id) if t[2] == "denied"]
    assert [actor for _action, actor, _outcome in denied] == ["officer_m1"] * 2 + ["admin"] * 2 + [
        "commander"
    ] * 2

    published = client.post(f"/api/articles/{article_id}/publish", headers=admin)
    assert published.status_code == 200 and published.json()["state"] == "published"


def test_steps_out_of_order_and_bad_drafts_are_refused_and_change_nothing(
    client: TestClient, db: Session, city: City
) -> None:
    officer, commander = _as(db, "officer_m1"), _as(db, "commander")
    bad_drafts = [
        {k: v for k, v in GARLIC.items() if k != "body_en"},
        {**GARLIC, "title_zh": "   "},
        {**GARLIC, "kind": "opinion"},
        {**GARLIC, "title_en": "x" * 301},
        {**GARLIC, "state": "published"},  # a draft cannot be posted as published
    ]
    for data in bad_drafts:
        assert client.post("/api/articles", json=data, headers=officer).status_code == 422, data
    article_id = _draft(client, officer)
    emptied = {**GARLIC, "body_zh": ""}
    assert (
        client.put(f"/api/articles/{article_id}", json=emptied, headers=officer).status_code == 422
    )

    reason = {"note": "why"}
    for step in ("publish", "send-back", "withdraw"):
        response = client.post(f"/api/articles/{article_id}/{step}", json=reason, headers=commander)
        assert response.status_code == 409, (step, response.text)
        assert f"article {article_id} is a draft" in response.json()["detail"]
    client.post(f"/api/articles/{article_id}/submit", headers=officer)
    again = client.post(f"/api/articles/{article_id}/submit", headers=officer)
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"article {article_id} is in review: it can be submitted only when a draft"
    )
    edit = client.put(f"/api/articles/{article_id}", json=GARLIC, headers=officer)
    assert edit.status_code == 409 and "only a draft can be edited" in edit.json()["detail"]
    for step in ("send-back", "withdraw"):  # a reason is required
        no_reason = client.post(
            f"/api/articles/{article_id}/{step}", json={"note": "  "}, headers=commander
        )
        assert no_reason.status_code == 422

    client.post(f"/api/articles/{article_id}/publish", headers=commander)
    for step in ("publish", "send-back", "submit"):
        headers = officer if step == "submit" else commander
        response = client.post(f"/api/articles/{article_id}/{step}", json=reason, headers=headers)
        assert response.status_code == 409, (step, response.text)
    assert client.get("/api/articles/999999", headers=officer).status_code == 404
    listed = client.get("/api/articles?state=published", headers=officer).json()
    assert [a["id"] for a in listed] == [article_id]
    assert client.get("/api/articles?state=draft", headers=officer).json() == []

    db.expire_all()
    stored = db.scalars(select(Article)).all()
    assert [(a.state, a.body_zh, a.review_note) for a in stored] == [
        ("published", GARLIC["body_zh"], "")
    ]
    assert [t[0] for t in _trail(db, article_id)] == [
        "article:create",
        "article:submit",
        "article:publish",
    ]


def test_of_two_reviewers_publishing_at_once_the_second_gets_409(
    db_url: str, db: Session, city: City
) -> None:
    """The reviewers' requests overlap: both read the article in review, one publishes first."""
    officer, commander, admin = (
        load_principal(db, _user_id(db, name)) for name in ("officer_m1", "commander", "admin")
    )
    assert officer is not None and commander is not None and admin is not None
    draft = workflow.create(
        db, principal=officer, data=ArticleIn.model_validate(GARLIC), now=utcnow()
    )
    workflow.submit(db, principal=officer, article_id=draft.id, now=utcnow())
    db.commit()

    sessions = session_factory(engine_for(db_url))
    with sessions() as first, sessions() as second:
        read_by_first = workflow.get(first, article_id=draft.id)
        assert read_by_first.state == "in_review"
        workflow.publish(second, principal=admin, article_id=draft.id, note="", now=utcnow())
        second.commit()
        with pytest.raises(Conflict, match="is published: it can be published only when"):
            workflow.publish(first, principal=commander, article_id=draft.id, note="", now=utcnow())
        first.rollback()

    db.expire_all()
    stored = db.get(Article, draft.id)
    assert stored is not None and stored.reviewer_id == admin.user_id
    assert [t[:2] for t in _trail(db, draft.id)][-1] == ("article:publish", "admin")
    assert [t[0] for t in _trail(db, draft.id)].count("article:publish") == 1
