"""Articles' review workflow: draft -> in review -> published -> withdrawn, with four eyes.

An officer (ARTICLE_WRITE) drafts and edits their own article and submits it; a reviewer
(ARTICLE_PUBLISH) who is not its author publishes it or sends it back with a note; a reviewer
withdraws a published article. Every step is audited; a step the article's state does not
allow is a 409 that says which state it would need.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, Conflict, NotFound
from epicontrol.core.models import User
from epicontrol.core.policy import Permission
from epicontrol.portal.article_models import Article, ArticleKind, ArticleState
from epicontrol.portal.article_schemas import ArticleIn

ENTITY = "article"
DRAFT, IN_REVIEW = ArticleState.DRAFT, ArticleState.IN_REVIEW
PUBLISHED, WITHDRAWN = ArticleState.PUBLISHED, ArticleState.WITHDRAWN
# step -> (the state it starts from, the state it leads to)
STEPS: dict[str, tuple[ArticleState, ArticleState]] = {
    "submit": (DRAFT, IN_REVIEW),
    "publish": (IN_REVIEW, PUBLISHED),
    "send_back": (IN_REVIEW, DRAFT),
    "withdraw": (PUBLISHED, WITHDRAWN),
}
STATE_WORDS = {
    DRAFT.value: "a draft",
    IN_REVIEW.value: "in review",
    PUBLISHED.value: "published",
    WITHDRAWN.value: "withdrawn",
}
STEP_WORDS = {
    "submit": "submitted",
    "publish": "published",
    "send_back": "sent back",
    "withdraw": "withdrawn",
}
MAX_LISTED = 200


def get(db: Session, *, article_id: int) -> Article:
    """Any article, whatever its state (staff only), or 404."""
    article = db.get(Article, article_id)
    if article is None:
        raise NotFound(f"no article {article_id}")
    return article


def list_for_staff(
    db: Session, *, state: ArticleState | None = None, kind: ArticleKind | None = None
) -> list[Article]:
    """The newest articles (up to MAX_LISTED), optionally of one state and kind."""
    query = select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
    if state is not None:
        query = query.where(Article.state == state.value)
    if kind is not None:
        query = query.where(Article.kind == kind.value)
    return list(db.scalars(query.limit(MAX_LISTED)))


def create(db: Session, *, principal: Principal, data: ArticleIn, now: datetime) -> Article:
    """A new draft written by the caller."""
    article = Article(
        state=DRAFT.value,
        author_id=principal.user_id,
        created_at=now,
        updated_at=now,
        review_note="",
        **_fields(data),
    )
    db.add(article)
    db.flush()
    _audit(db, principal, article, "create", {"kind": article.kind})
    return article


def update(
    db: Session, *, principal: Principal, article_id: int, data: ArticleIn, now: datetime
) -> Article:
    """Rewrite one's own draft; once submitted it is the reviewer's to judge (409)."""
    article = get(db, article_id=article_id)
    _require_author(principal, article, "edit")
    if article.state != DRAFT.value:
        raise Conflict(
            f"article {article_id} is {article.state}: only a draft can be edited"
            " (a reviewer can send it back to its author)"
        )
    for name, value in _fields(data).items():
        setattr(article, name, value)
    article.updated_at = now
    _audit(db, principal, article, "update", {"kind": article.kind})
    return article


def submit(db: Session, *, principal: Principal, article_id: int, now: datetime) -> Article:
    """The author hands a draft to review."""
    article = get(db, article_id=article_id)
    _require_author(principal, article, "submit")
    _step(db, article, "submit", now)
    article.submitted_at = now
    _audit(db, principal, article, "submit")
    return article


def publish(
    db: Session, *, principal: Principal, article_id: int, note: str, now: datetime
) -> Article:
    """A reviewer other than the author puts the article on the public site."""
    article = get(db, article_id=article_id)
    _require_other_reviewer(principal, article, "publish")
    _step(db, article, "publish", now)
    article.reviewer_id = principal.user_id
    article.review_note = note
    article.published_at = now
    _audit(db, principal, article, "publish", {"note": note} if note else None)
    return article


def send_back(
    db: Session, *, principal: Principal, article_id: int, note: str, now: datetime
) -> Article:
    """A reviewer other than the author returns the article to draft with what to change."""
    article = get(db, article_id=article_id)
    _require_other_reviewer(principal, article, "send back")
    _step(db, article, "send_back", now)
    article.reviewer_id = principal.user_id
    article.review_note = note
    _audit(db, principal, article, "send_back", {"note": note})
    return article


def withdraw(
    db: Session, *, principal: Principal, article_id: int, note: str, now: datetime
) -> Article:
    """Take a published article off the public site (and the Q&A), saying why."""
    article = get(db, article_id=article_id)
    _step(db, article, "withdraw", now)
    article.reviewer_id = principal.user_id
    article.review_note = note
    _audit(db, principal, article, "withdraw", {"note": note})
    return article


def allowed_steps(principal: Principal, article: Article, *, can_review: bool) -> list[str]:
    """The steps the caller may take on the article now (for the staff page's buttons)."""
    is_author = article.author_id == principal.user_id
    return [
        step
        for step, (start, _end) in STEPS.items()
        if article.state == start.value and _may(step, is_author=is_author, can_review=can_review)
    ]


def _may(step: str, *, is_author: bool, can_review: bool) -> bool:
    if step == "submit":
        return is_author
    if step == "withdraw":
        return can_review
    return can_review and not is_author


def _fields(data: ArticleIn) -> dict[str, Any]:
    return {
        "kind": data.kind.value,
        "title_zh": data.title_zh,
        "title_en": data.title_en,
        "body_zh": data.body_zh,
        "body_en": data.body_en,
        "source": data.source,
    }


def _step(db: Session, article: Article, step: str, now: datetime) -> None:
    """Move the article on, only from the state the step starts from.

    A compare-and-set UPDATE rather than a check then a write: of two reviewers pressing
    publish at once, the second finds the state changed and gets the 409.
    """
    start, end = STEPS[step]
    moved = db.execute(
        sql_update(Article)
        .where(Article.id == article.id, Article.state == start.value)
        .values(state=end.value, updated_at=now)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(article)
        raise Conflict(
            f"article {article.id} is {STATE_WORDS[article.state]}: it can be {STEP_WORDS[step]}"
            f" only when {STATE_WORDS[start.value]}"
        )


def _require_author(principal: Principal, article: Article, verb: str) -> None:
    if article.author_id != principal.user_id:
        raise AccessDenied(
            f"only the author of article {article.id} may {verb} it",
            action=str(Permission.ARTICLE_WRITE),
            entity=ENTITY,
            entity_id=str(article.id),
        )


def _require_other_reviewer(principal: Principal, article: Article, verb: str) -> None:
    # Four eyes: whoever wrote an article never publishes it alone.
    if article.author_id == principal.user_id:
        raise AccessDenied(
            f"the author of article {article.id} may not {verb} it: another reviewer must",
            action=str(Permission.ARTICLE_PUBLISH),
            entity=ENTITY,
            entity_id=str(article.id),
        )


def _audit(
    db: Session,
    principal: Principal,
    article: Article,
    action: str,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        db,
        actor=principal,
        action=f"{ENTITY}:{action}",
        entity=ENTITY,
        entity_id=article.id,
        detail={"state": article.state, **(detail or {})},
    )


def usernames(db: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """User id -> username, for the authors and reviewers a staff page names."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = db.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}
