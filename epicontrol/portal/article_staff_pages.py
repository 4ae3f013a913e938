"""The officers' article pages (bilingual inline, like the other staff pages).

- GET  /articles?state=&kind=       every article, newest change first (ARTICLE_WRITE)
- GET  /articles/new, POST          a draft from the form
- GET  /articles/{id}               the article, its review note, the steps the caller may take;
                                    the author's draft comes as an edit form
- POST /articles/{id}/edit | submit | publish | send-back | withdraw
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, require
from epicontrol.core.errors import InvalidInput
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.portal import article_workflow as workflow
from epicontrol.portal.article_models import Article, ArticleKind, ArticleState
from epicontrol.portal.article_schemas import ArticleIn, ReasonIn
from epicontrol.web.templating import render

router = APIRouter()
Writer = Annotated[Principal, Depends(require(Permission.ARTICLE_WRITE))]
Reviewer = Annotated[Principal, Depends(require(Permission.ARTICLE_PUBLISH))]
KIND_LABELS = {
    ArticleKind.RELEASE.value: "权威发布 Release",
    ArticleKind.RUMOR.value: "辟谣 Rumor rebuttal",
    ArticleKind.FACT.value: "防护知识 Basic fact",
}
STATE_LABELS = {
    ArticleState.DRAFT.value: "草稿 Draft",
    ArticleState.IN_REVIEW.value: "待审核 In review",
    ArticleState.PUBLISHED.value: "已发布 Published",
    ArticleState.WITHDRAWN.value: "已撤回 Withdrawn",
}
STEP_LABELS = {
    "submit": "提交审核 Submit for review",
    "publish": "发布 Publish",
    "send_back": "退回修改 Send back",
    "withdraw": "撤回 Withdraw",
}
FIELD_LABELS = {
    "kind": "类别 kind",
    "title_zh": "中文标题 Chinese title",
    "title_en": "英文标题 English title",
    "body_zh": "中文正文 Chinese text",
    "body_en": "英文正文 English text",
    "source": "来源 source",
    "note": "说明 note",
}
FORM_FIELDS = ("kind", "title_zh", "title_en", "body_zh", "body_en", "source")
LABELS = {"kind": KIND_LABELS, "state": STATE_LABELS, "step": STEP_LABELS}


@router.get("/articles", include_in_schema=False)
def articles_page(
    request: Request,
    db: DbSession,
    principal: Writer,
    state: ArticleState | None = None,
    kind: ArticleKind | None = None,
) -> Response:
    """Every article with its state; the reviewer's queue is ?state=in_review."""
    found = workflow.list_for_staff(db, state=state, kind=kind)
    context = {
        "articles": found,
        "names": workflow.usernames(db, (a.author_id for a in found)),
        "state": state.value if state else "",
        "kind": kind.value if kind else "",
        "labels": LABELS,
        "time_zone": LOCAL_TIME,
    }
    return render(request, "articles_staff_list.html", context)


@router.get("/articles/new", include_in_schema=False)
def new_article_page(request: Request, principal: Writer) -> Response:
    """The blank form."""
    return _form_page(request, {"kind": ArticleKind.FACT.value})


@router.post("/articles/new", include_in_schema=False)
async def create_from_page(request: Request, db: DbSession, principal: Writer) -> Response:
    """A draft, then its page; the form again with what was wrong otherwise."""
    form = await _form(request)
    try:
        data = _article_in(form)
    except InvalidInput as error:
        return _form_page(request, form, error.message)
    article = workflow.create(db, principal=principal, data=data, now=utcnow())
    return RedirectResponse(f"/articles/{article.id}?done=created", status_code=303)


@router.get("/articles/{article_id}", include_in_schema=False)
def article_staff_page(
    request: Request, db: DbSession, principal: Writer, article_id: int
) -> Response:
    """One article in both languages with the steps the caller may take."""
    article = workflow.get(db, article_id=article_id)
    return _item_page(request, db, principal, article)


@router.post("/articles/{article_id}/edit", include_in_schema=False)
async def edit_from_page(
    request: Request, db: DbSession, principal: Writer, article_id: int
) -> Response:
    """The author's draft rewritten; the page again with what was wrong otherwise."""
    form = await _form(request)
    try:
        data = _article_in(form)
    except InvalidInput as error:
        article = workflow.get(db, article_id=article_id)
        return _item_page(request, db, principal, article, form=form, error=error.message)
    workflow.update(db, principal=principal, article_id=article_id, data=data, now=utcnow())
    return RedirectResponse(f"/articles/{article_id}?done=saved", status_code=303)


@router.post("/articles/{article_id}/submit", include_in_schema=False)
def submit_from_page(db: DbSession, principal: Writer, article_id: int) -> Response:
    """The author's submit button."""
    workflow.submit(db, principal=principal, article_id=article_id, now=utcnow())
    return RedirectResponse(f"/articles/{article_id}?done=submit", status_code=303)


@router.post("/articles/{article_id}/publish", include_in_schema=False)
async def publish_from_page(
    request: Request, db: DbSession, principal: Reviewer, article_id: int
) -> Response:
    """The reviewer's publish button, with an optional note."""
    note = str((await _form(request)).get("note", "")).strip()[:1000]
    workflow.publish(db, principal=principal, article_id=article_id, note=note, now=utcnow())
    return RedirectResponse(f"/articles/{article_id}?done=publish", status_code=303)


@router.post("/articles/{article_id}/send-back", include_in_schema=False)
async def send_back_from_page(
    request: Request, db: DbSession, principal: Reviewer, article_id: int
) -> Response:
    """The reviewer's send-back button: the note says what to change."""
    note = _reason(await _form(request))
    workflow.send_back(db, principal=principal, article_id=article_id, note=note, now=utcnow())
    return RedirectResponse(f"/articles/{article_id}?done=send_back", status_code=303)


@router.post("/articles/{article_id}/withdraw", include_in_schema=False)
async def withdraw_from_page(
    request: Request, db: DbSession, principal: Reviewer, article_id: int
) -> Response:
    """The withdraw button: the note says why."""
    note = _reason(await _form(request))
    workflow.withdraw(db, principal=principal, article_id=article_id, note=note, now=utcnow())
    return RedirectResponse(f"/articles/{article_id}?done=withdraw", status_code=303)


def _item_page(
    request: Request,
    db: Session,
    principal: Principal,
    article: Article,
    *,
    form: dict[str, str] | None = None,
    error: str = "",
) -> Response:
    can_review = is_allowed(principal.role, Permission.ARTICLE_PUBLISH)
    is_editable = (
        article.author_id == principal.user_id and article.state == ArticleState.DRAFT.value
    )
    context = {
        "article": article,
        "names": workflow.usernames(db, (article.author_id, article.reviewer_id)),
        "steps": workflow.allowed_steps(principal, article, can_review=can_review),
        "is_editable": is_editable,
        "form": form or {name: getattr(article, name) for name in FORM_FIELDS},
        "error": error,
        "done": request.query_params.get("done", ""),
        "labels": LABELS,
        "time_zone": LOCAL_TIME,
    }
    return render(request, "articles_staff_item.html", context, status_code=422 if error else 200)


def _form_page(request: Request, form: dict[str, str], error: str = "") -> Response:
    context = {"form": form, "error": error, "labels": LABELS}
    return render(request, "articles_staff_new.html", context, status_code=422 if error else 200)


async def _form(request: Request) -> dict[str, str]:
    submitted = await request.form()
    return {key: value for key, value in submitted.items() if isinstance(value, str)}


def _article_in(form: dict[str, str]) -> ArticleIn:
    try:
        return ArticleIn.model_validate({name: form.get(name, "") for name in FORM_FIELDS})
    except ValidationError as error:
        raise InvalidInput(_problems(error)) from error


def _reason(form: dict[str, str]) -> str:
    try:
        return ReasonIn.model_validate({"note": form.get("note", "")}).note
    except ValidationError as error:
        raise InvalidInput(_problems(error)) from error


def _problems(error: ValidationError) -> str:
    """The form's mistakes, one per field, naming the field in both languages."""
    found: dict[str, Any] = {}
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        found.setdefault(field, problem["msg"])
    return "; ".join(f"{FIELD_LABELS.get(field, field)}: {msg}" for field, msg in found.items())
