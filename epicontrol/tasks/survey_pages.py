"""The survey pages' contexts: the list, the builder, the fill form and the results."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.errors import InvalidInput
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.divisions import service as divisions
from epicontrol.tasks import survey_answers, survey_responses, surveys
from epicontrol.tasks.survey_forms import (
    KIND_LABELS,
    RESPONDENT_LABELS,
    STATUS_LABELS,
    FormValues,
    survey_from_form,
    target_choices,
)
from epicontrol.tasks.survey_models import QuestionKind
from epicontrol.tasks.survey_results import (
    CHOICE_CHART_KINDS,
    choice_figure,
    results,
)
from epicontrol.tasks.survey_schemas import AnswerValue, ResponseIn, SurveyOut, SurveyResults
from epicontrol.web.templating import render

logger = logging.getLogger(__name__)
BLANK_QUESTIONS = 3  # question blocks the builder opens with; "add a question" adds more
LABELS = {"kind": KIND_LABELS, "respondent": RESPONDENT_LABELS, "status": STATUS_LABELS}


def list_page(request: Request, db: Session, principal: Principal) -> Response:
    """Respondents: what to fill. Officers and readers: the surveys of their scope."""
    responds = is_allowed(principal.role, Permission.SURVEY_RESPOND)
    context = {
        "responds": responds,
        "to_fill": survey_responses.to_fill(db, principal=principal) if responds else [],
        "surveys": [] if responds else surveys.list_visible(db, principal=principal),
        "can_manage": is_allowed(principal.role, Permission.SURVEY_MANAGE),
        "done": request.query_params.get("done", ""),
        "labels": LABELS,
        "time_zone": LOCAL_TIME,
    }
    return render(request, "survey_list.html", context)


def builder_page(
    request: Request,
    db: Session,
    principal: Principal,
    form: FormValues | None = None,
    error: str = "",
) -> Response:
    """The builder, blank or filled in again with the error of a refused submission."""
    form = form or {}
    filled = [n for n in range(1, 51) if form.get(f"q{n}_prompt", [""])[0].strip()]
    context = {
        "choices": target_choices(db, principal=principal),
        "blocks": max(BLANK_QUESTIONS, len(filled), max(filled, default=0)),
        "form": {key: values for key, values in form.items()},
        "error": error,
        "labels": LABELS,
    }
    return render(request, "survey_new.html", context, status_code=422 if error else 200)


def question_block(request: Request, n: int) -> Response:
    """One blank question block, numbered `n`."""
    context = {"n": min(max(n, 1), 50), "form": {}, "labels": LABELS}
    return render(request, "survey_question_block.html", context)


def create_from_form(
    request: Request, db: Session, principal: Principal, form: FormValues
) -> Response:
    """A draft from the builder, then its page; the builder again with the error otherwise."""
    try:
        data = survey_from_form(form)
        created = surveys.create(db, principal=principal, data=data, now=utcnow())
    except InvalidInput as error:
        db.rollback()
        return builder_page(request, db, principal, form, error.message)
    return RedirectResponse(f"/surveys/{created.id}/results", status_code=303)


def fill_page(
    request: Request,
    db: Session,
    principal: Principal,
    survey_id: int,
    target_id: int | None,
    form_answers: Mapping[int, Sequence[str]] | None = None,
    error: str = "",
) -> Response:
    """The fill form for one of the caller's targets, with their earlier (or refused) answers."""
    survey = survey_responses.fill_view(db, principal=principal, survey_id=survey_id)
    target = next((t for t in survey.targets if t.id == target_id), survey.targets[0])
    previous = survey_responses.answered_values(
        db, principal=principal, survey_id=survey_id, target_id=target.id
    )
    context = {
        "survey": survey,
        "target": target,
        "answers": form_answers if form_answers is not None else _as_form(survey, previous),
        "is_answered": bool(previous),
        "error": error,
        "labels": LABELS,
    }
    return render(request, "survey_fill.html", context, status_code=422 if error else 200)


def submit_from_form(
    request: Request, db: Session, principal: Principal, survey_id: int, form: FormValues
) -> Response:
    """Store the answers and go back to the list; the form again with the error otherwise."""
    target_id = _int(form.get("target_id", [""])[0])
    questions = surveys.questions_of(db, survey_id)
    answers: dict[int, AnswerValue] = {}
    try:
        answers = survey_answers.answers_from_form(questions, form)
        survey_responses.submit(
            db,
            principal=principal,
            survey_id=survey_id,
            data=ResponseIn(target_id=target_id, answers=answers),
            now=utcnow(),
        )
    except InvalidInput as error:
        db.rollback()
        shown = {q.id: form.get(f"q{q.id}", []) for q in questions}
        return fill_page(request, db, principal, survey_id, target_id, shown, error.message)
    return RedirectResponse(f"/surveys?done={survey_id}", status_code=303)


def results_page(
    request: Request, db: Session, principal: Principal, survey_id: int, division_id: int | None
) -> Response:
    """The survey with its send/close buttons and its results, drillable by division."""
    found = results(db, principal=principal, survey_id=survey_id, division_id=division_id)
    root = divisions.get(db, division_id=found.division_id)
    trail = [
        d
        for d in divisions.ancestors(db, division=root)
        if principal.covers(d.path) and d.path != root.path
    ]
    owner = divisions.get(db, division_id=found.survey.division_id)
    context = {
        "found": found,
        "survey": found.survey,
        "trail": trail,
        "charts": _charts(found),
        "plotly_src": _plotly_src(),
        "can_manage": is_allowed(principal.role, Permission.SURVEY_MANAGE)
        and principal.covers(owner.path),
        "labels": LABELS,
        "time_zone": LOCAL_TIME,
    }
    return render(request, "survey_results.html", context)


def _charts(found: SurveyResults) -> dict[int, str]:
    """A bar chart per choice question with answers; a chart that fails leaves its table."""
    charts = {}
    for question in found.survey.questions:
        if question.kind not in CHOICE_CHART_KINDS or not found.children:
            continue
        try:
            # Imported here: it loads plotly, which only this page needs (choice_figure too).
            from epicontrol.web.figures import figure_html

            figure = choice_figure(found, question)
            charts[question.id] = figure_html(figure, div_id=f"chart-q{question.id}")
        except Exception:  # a picture that fails must not take the results down with it
            logger.exception("chart of survey question %s failed", question.id)
    return charts


def _plotly_src() -> str | None:
    try:
        from epicontrol.web.plotly_static import plotly_js_url
    except ImportError:
        return None
    return plotly_js_url()


def _as_form(survey: SurveyOut, previous: dict[int, AnswerValue]) -> dict[int, list[str]]:
    """Stored answers as the form's field values (option numbers, yes/no, the number, text)."""
    yes_no = {q.id for q in survey.questions if q.kind == QuestionKind.YES_NO}
    shown: dict[int, list[str]] = {}
    for question_id, value in previous.items():
        if question_id in yes_no and isinstance(value, list):
            shown[question_id] = ["yes" if value == [0] else "no"]
        elif isinstance(value, list):
            shown[question_id] = [str(v) for v in value]
        elif isinstance(value, float):
            shown[question_id] = [f"{value:g}"]
        elif value is not None:
            shown[question_id] = [str(value)]
    return shown


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None
