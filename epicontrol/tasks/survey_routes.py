"""Surveys (统计调查): the API and the pages.

- GET  /api/surveys                        surveys of the caller's scope (SURVEY_READ)
- POST /api/surveys                        define a draft (SURVEY_MANAGE)
- GET  /api/surveys/to-fill                sent surveys the caller answers (SURVEY_RESPOND)
- GET  /api/surveys/{id}                   one survey with questions and targets
- PUT  /api/surveys/{id}                   redefine a draft; 409 once sent
- POST /api/surveys/{id}/send | /close     draft -> sent -> closed
- GET  /api/surveys/{id}/fill              the questions and the caller's targets
- POST /api/surveys/{id}/responses         answer (201), or replace one's answer (200)
- GET  /api/surveys/{id}/results           results by child division (?division_id= drills)
- GET  /surveys, /surveys/new, /surveys/{id}/fill, /surveys/{id}/results: the pages
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import CurrentPrincipal, DbSession, require
from epicontrol.core.errors import AccessDenied
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.tasks import survey_pages, survey_responses, surveys
from epicontrol.tasks.survey_results import results
from epicontrol.tasks.survey_schemas import (
    ResponseIn,
    ResponseOut,
    SurveyIn,
    SurveyOut,
    SurveyResults,
    SurveySummary,
    ToFill,
)

router = APIRouter()
Manager = Annotated[Principal, Depends(require(Permission.SURVEY_MANAGE))]
Reader = Annotated[Principal, Depends(require(Permission.SURVEY_READ))]
Respondent = Annotated[Principal, Depends(require(Permission.SURVEY_RESPOND))]


def require_either(first: Permission, second: Permission) -> Callable[..., Principal]:
    """A dependency letting through roles holding either permission (the /surveys page serves
    respondents and officers alike)."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not (is_allowed(principal.role, first) or is_allowed(principal.role, second)):
            raise AccessDenied(
                f"role '{principal.role}' neither fills nor reads surveys",
                action=str(first),
                entity="survey",
            )
        return principal

    check.permission = first  # type: ignore[attr-defined]  # read by the route-policy test
    return check


AnySurveyUser = Annotated[
    Principal, Depends(require_either(Permission.SURVEY_RESPOND, Permission.SURVEY_READ))
]


@router.get("/api/surveys", tags=["surveys"])
def list_surveys(db: DbSession, principal: Reader) -> list[SurveySummary]:
    """Surveys owned in the caller's subtree or sent into it, newest first."""
    return surveys.list_visible(db, principal=principal)


@router.post("/api/surveys", status_code=201, tags=["surveys"])
def create_survey(db: DbSession, principal: Manager, data: SurveyIn) -> SurveyOut:
    """A draft survey sent to grids and estates of the caller's scope; audited."""
    return surveys.create(db, principal=principal, data=data, now=utcnow())


@router.get("/api/surveys/to-fill", tags=["surveys"])
def surveys_to_fill(db: DbSession, principal: Respondent) -> list[ToFill]:
    """Sent surveys the caller answers, one line per grid or estate, answered or not."""
    return survey_responses.to_fill(db, principal=principal)


@router.get("/api/surveys/{survey_id}", tags=["surveys"])
def read_survey(db: DbSession, principal: Reader, survey_id: int) -> SurveyOut:
    """One survey of the caller's scope with its questions and targets."""
    return surveys.to_out(db, surveys.get_visible(db, principal=principal, survey_id=survey_id))


@router.put("/api/surveys/{survey_id}", tags=["surveys"])
def update_survey(db: DbSession, principal: Manager, survey_id: int, data: SurveyIn) -> SurveyOut:
    """Redefine a draft; a sent or closed survey answers 409."""
    return surveys.update(db, principal=principal, survey_id=survey_id, data=data)


@router.post("/api/surveys/{survey_id}/send", tags=["surveys"])
def send_survey(db: DbSession, principal: Manager, survey_id: int) -> SurveyOut:
    """Send a draft to its targets."""
    return surveys.send(db, principal=principal, survey_id=survey_id, now=utcnow())


@router.post("/api/surveys/{survey_id}/close", tags=["surveys"])
def close_survey(db: DbSession, principal: Manager, survey_id: int) -> SurveyOut:
    """Stop taking answers."""
    return surveys.close(db, principal=principal, survey_id=survey_id, now=utcnow())


@router.get("/api/surveys/{survey_id}/fill", tags=["surveys"])
def survey_to_fill(db: DbSession, principal: Respondent, survey_id: int) -> SurveyOut:
    """A sent survey's questions with only the targets the caller answers for."""
    return survey_responses.fill_view(db, principal=principal, survey_id=survey_id)


@router.post("/api/surveys/{survey_id}/responses", status_code=201, tags=["surveys"])
def respond(
    db: DbSession, principal: Respondent, survey_id: int, data: ResponseIn, response: Response
) -> ResponseOut:
    """Answers checked per question; a second submit for the same target replaces the first
    (200, revision + 1). Closed surveys answer 409."""
    stored, replaced = survey_responses.submit(
        db, principal=principal, survey_id=survey_id, data=data, now=utcnow()
    )
    if replaced:
        response.status_code = 200
    return stored


@router.get("/api/surveys/{survey_id}/results", tags=["surveys"])
def survey_results(
    db: DbSession, principal: Reader, survey_id: int, division_id: int | None = None
) -> SurveyResults:
    """Counts per option, number summaries, text counts and response rate, for the division
    (the caller's, or `division_id` below it) and each of its children; audited."""
    return results(db, principal=principal, survey_id=survey_id, division_id=division_id)


@router.get("/surveys", include_in_schema=False)
def surveys_page(request: Request, db: DbSession, principal: AnySurveyUser) -> Response:
    """Grid workers and residents: surveys to fill (phone-first). Officers: their surveys."""
    return survey_pages.list_page(request, db, principal)


@router.get("/surveys/new", include_in_schema=False)
def new_survey_page(request: Request, db: DbSession, principal: Manager) -> Response:
    """The form builder."""
    return survey_pages.builder_page(request, db, principal)


@router.get("/surveys/new/question", include_in_schema=False)
def question_block(request: Request, principal: Manager, n: int) -> Response:
    """One more blank question block for the builder (htmx)."""
    return survey_pages.question_block(request, n)


@router.post("/surveys/new", include_in_schema=False)
async def create_from_page(request: Request, db: DbSession, principal: Manager) -> Response:
    """The builder's form: a draft, then its page; the form again with the error otherwise."""
    form = await request.form()
    return survey_pages.create_from_form(request, db, principal, _multi(form))


@router.post("/surveys/{survey_id}/send", include_in_schema=False)
def send_from_page(db: DbSession, principal: Manager, survey_id: int) -> Response:
    """The send button."""
    surveys.send(db, principal=principal, survey_id=survey_id, now=utcnow())
    return RedirectResponse(f"/surveys/{survey_id}/results", status_code=303)


@router.post("/surveys/{survey_id}/close", include_in_schema=False)
def close_from_page(db: DbSession, principal: Manager, survey_id: int) -> Response:
    """The close button."""
    surveys.close(db, principal=principal, survey_id=survey_id, now=utcnow())
    return RedirectResponse(f"/surveys/{survey_id}/results", status_code=303)


@router.get("/surveys/{survey_id}/fill", include_in_schema=False)
def fill_page(
    request: Request,
    db: DbSession,
    principal: Respondent,
    survey_id: int,
    target_id: int | None = None,
) -> Response:
    """The survey's questions as a phone-first form, with the caller's earlier answers."""
    return survey_pages.fill_page(request, db, principal, survey_id, target_id)


@router.post("/surveys/{survey_id}/fill", include_in_schema=False)
async def fill_from_page(
    request: Request, db: DbSession, principal: Respondent, survey_id: int
) -> Response:
    """The fill form: back to the list when stored, the form with the error otherwise."""
    form = await request.form()
    return survey_pages.submit_from_form(request, db, principal, survey_id, _multi(form))


@router.get("/surveys/{survey_id}/results", include_in_schema=False)
def results_page(
    request: Request,
    db: DbSession,
    principal: Reader,
    survey_id: int,
    division_id: int | None = None,
) -> Response:
    """The survey, its send/close buttons, and its results with a bar chart per choice."""
    return survey_pages.results_page(request, db, principal, survey_id, division_id)


def _multi(form: FormData) -> dict[str, list[str]]:
    """A submitted form as name -> every value sent (checkboxes repeat a name)."""
    return {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}
