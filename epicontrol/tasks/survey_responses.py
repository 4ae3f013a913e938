"""Filling a survey: which targets a grid worker or resident answers for, each answer checked
against its question's kind, one response per respondent and target (a second submit replaces
the first)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, exists, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput
from epicontrol.core.policy import Permission, Role
from epicontrol.divisions.models import Division
from epicontrol.people.models import Household, Resident
from epicontrol.tasks import surveys
from epicontrol.tasks.survey_models import (
    QuestionKind,
    RespondentKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    SurveyTarget,
)
from epicontrol.tasks.survey_schemas import (
    AnswerValue,
    ResponseIn,
    ResponseOut,
    SurveyOut,
    ToFill,
)

RESPOND = str(Permission.SURVEY_RESPOND)
MAX_TEXT = 1000
# Answers as a page's form sends them, to be read into AnswerValue by answers_from_form.
FormValues = Mapping[str, Sequence[str]]


def to_fill(db: Session, *, principal: Principal) -> list[ToFill]:
    """Sent surveys the caller may answer, one line per target, with whether it is answered."""
    kind = _respondent_kind(principal)
    query = (
        _targets_of(db, principal)
        .add_columns(Survey.title)
        .join(Survey, Survey.id == SurveyTarget.survey_id)
        .where(Survey.status == SurveyStatus.SENT.value, Survey.respondent_kind == kind.value)
        .order_by(Survey.id.desc(), SurveyTarget.id)
    )
    rows = db.execute(query).all()
    targets = [target for target, _ in rows]
    if kind == RespondentKind.RESIDENT:
        targets = _first_per_survey(targets)
    titles = {target.survey_id: title for target, title in rows}
    answered = _answered(db, principal, targets)
    names = {t.id: t.name for t in surveys.target_names(db, targets)}
    return [
        ToFill(
            survey_id=t.survey_id,
            title=titles[t.survey_id],
            target_id=t.id,
            target_name=names[t.id],
            is_answered=t.id in answered,
        )
        for t in targets
    ]


def fill_view(db: Session, *, principal: Principal, survey_id: int) -> SurveyOut:
    """A sent survey with only the targets the caller answers for (AccessDenied if none)."""
    survey = _answerable(db, principal, survey_id)
    return surveys.to_out(db, survey, targets=_my_targets(db, principal, survey))


def answered_values(
    db: Session, *, principal: Principal, survey_id: int, target_id: int
) -> dict[int, AnswerValue]:
    """The caller's stored answers for one target (to fill the form in again), or nothing."""
    response_id = db.scalar(
        select(SurveyResponse.id).where(
            SurveyResponse.survey_id == survey_id,
            SurveyResponse.target_id == target_id,
            SurveyResponse.respondent_key == _respondent_key(principal),
        )
    )
    if response_id is None:
        return {}
    values: dict[int, AnswerValue] = {}
    for answer in db.scalars(select(SurveyAnswer).where(SurveyAnswer.response_id == response_id)):
        if answer.option_index is not None:
            chosen = values.setdefault(answer.question_id, [])
            assert isinstance(chosen, list)
            chosen.append(answer.option_index)
        else:
            number, text = answer.number_value, answer.text_value
            values[answer.question_id] = number if number is not None else text
    return values


def submit(
    db: Session, *, principal: Principal, survey_id: int, data: ResponseIn, now: datetime
) -> tuple[ResponseOut, bool]:
    """Check every answer, then store the response, or replace the caller's earlier one for the
    same target. Returns it and whether it replaced one. Nothing is stored on any error."""
    survey = _answerable(db, principal, survey_id)
    target = _target_for(db, principal, survey, data.target_id)
    questions = surveys.questions_of(db, survey.id)
    answers = check_answers(questions, data.answers)
    key = _respondent_key(principal)
    response = db.scalar(
        select(SurveyResponse).where(
            SurveyResponse.survey_id == survey.id,
            SurveyResponse.target_id == target.id,
            SurveyResponse.respondent_key == key,
        )
    )
    replaced = response is not None
    if response is None:
        response = _new_response(db, principal, survey, target, key, now)
    else:
        db.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id == response.id))
        response.revision += 1
        response.submitted_by = principal.username
        response.submitted_at = now
    for answer in answers:
        answer.response_id = response.id
    db.add_all(answers)
    db.flush()
    audit.record(
        db,
        actor=principal,
        action="replace" if replaced else "respond",
        entity="survey_response",
        entity_id=response.id,
        purpose="surveys",
        detail={"survey_id": survey.id, "target_id": target.id, "answers": len(answers)},
    )
    out = ResponseOut(
        id=response.id,
        survey_id=survey.id,
        target_id=target.id,
        revision=response.revision,
        submitted_at=response.submitted_at,
    )
    return out, replaced


def check_answers(
    questions: list[SurveyQuestion], given: Mapping[int, AnswerValue]
) -> list[SurveyAnswer]:
    """Answer rows for every answered question; InvalidInput naming the first question whose
    answer does not fit its kind, bounds or options, or that is required and left empty."""
    known = {q.id for q in questions}
    strangers = sorted(set(given) - known)
    if strangers:
        raise InvalidInput(f"question {strangers[0]} is not a question of this survey")
    rows: list[SurveyAnswer] = []
    for question in questions:
        rows.extend(check_answer(question, given.get(question.id)))
    return rows


def check_answer(question: SurveyQuestion, value: AnswerValue) -> list[SurveyAnswer]:
    """The rows of one answer, or InvalidInput naming the question."""
    name = f"问题 question {question.position} '{question.prompt[:60]}'"
    if value is None or value == "" or value == []:
        if question.is_required:
            raise InvalidInput(f"{name}: an answer is required")
        return []
    kind = QuestionKind(question.kind)
    if kind == QuestionKind.SINGLE_CHOICE:
        return [SurveyAnswer(question_id=question.id, option_index=_option(question, value))]
    if kind == QuestionKind.MULTIPLE_CHOICE:
        if not isinstance(value, list):
            raise InvalidInput(f"{name}: send a list of option numbers")
        if len(set(value)) != len(value):
            raise InvalidInput(f"{name}: an option is chosen twice")
        return [
            SurveyAnswer(question_id=question.id, option_index=_option(question, each))
            for each in value
        ]
    if kind == QuestionKind.YES_NO:
        if not isinstance(value, bool):
            raise InvalidInput(f"{name}: answer true (是 yes) or false (否 no)")
        return [SurveyAnswer(question_id=question.id, option_index=0 if value else 1)]
    if kind == QuestionKind.NUMBER:
        return [SurveyAnswer(question_id=question.id, number_value=_number(question, value))]
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: answer with text")
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{name}: at most {MAX_TEXT} characters")
    if not text:
        return check_answer(question, None)
    return [SurveyAnswer(question_id=question.id, text_value=text)]


def answers_from_form(questions: list[SurveyQuestion], form: FormValues) -> dict[int, AnswerValue]:
    """A page's fields (q<id>, repeated for a multiple choice) read into answers; a value that
    is not a number where one is due is refused naming the question."""
    answers: dict[int, AnswerValue] = {}
    for question in questions:
        values = [v.strip() for v in form.get(f"q{question.id}", []) if v.strip()]
        name = f"问题 question {question.position} '{question.prompt[:60]}'"
        kind = QuestionKind(question.kind)
        try:
            if not values:
                answers[question.id] = None
            elif kind == QuestionKind.MULTIPLE_CHOICE:
                answers[question.id] = [int(v) for v in values]
            elif kind == QuestionKind.SINGLE_CHOICE:
                answers[question.id] = int(values[0])
            elif kind == QuestionKind.YES_NO:
                answers[question.id] = {"yes": True, "no": False}[values[0]]
            elif kind == QuestionKind.NUMBER:
                answers[question.id] = float(values[0])
            else:
                answers[question.id] = values[0]
        except (ValueError, KeyError):
            raise InvalidInput(f"{name}: '{values[0][:20]}' is not a valid answer") from None
    return answers


def _option(question: SurveyQuestion, value: AnswerValue) -> int:
    name = f"问题 question {question.position} '{question.prompt[:60]}'"
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"{name}: choose an option by its number (0, 1, ...)")
    if not 0 <= value < len(question.options):
        raise InvalidInput(f"{name}: there is no option {value}")
    return value


def _number(question: SurveyQuestion, value: AnswerValue) -> float:
    name = f"问题 question {question.position} '{question.prompt[:60]}'"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name}: answer with a number")
    low, high = question.min_value, question.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{'' if low is None else f'{low:g}'} - {'' if high is None else f'{high:g}'}"
        raise InvalidInput(f"{name}: {value:g} is outside {bounds}")
    return float(value)


def _answerable(db: Session, principal: Principal, survey_id: int) -> Survey:
    """A survey the caller answers: sent, of their kind of respondent; 409 once closed."""
    survey = surveys.get(db, survey_id=survey_id)
    if survey.respondent_kind != _respondent_kind(principal).value:
        raise AccessDenied(
            f"survey {survey_id} is filled by {survey.respondent_kind.replace('_', ' ')}s",
            action=RESPOND,
            entity="survey",
            entity_id=str(survey_id),
        )
    if survey.status == SurveyStatus.DRAFT.value:
        raise Conflict(f"survey {survey_id} has not been sent yet")
    if survey.status == SurveyStatus.CLOSED.value:
        raise Conflict(f"survey {survey_id} is closed: answers are no longer taken")
    return survey


def _respondent_kind(principal: Principal) -> RespondentKind:
    if principal.role == Role.RESIDENT and principal.resident_id is not None:
        return RespondentKind.RESIDENT
    if principal.role == Role.GRID_WORKER:
        return RespondentKind.GRID_WORKER
    raise AccessDenied(
        "surveys are filled by grid workers and residents", action=RESPOND, entity="survey"
    )


def _respondent_key(principal: Principal) -> str:
    """One response per target from grid workers, one per resident from residents."""
    if _respondent_kind(principal) == RespondentKind.RESIDENT:
        return f"resident:{principal.resident_id}"
    return "target"


def _targets_of(db: Session, principal: Principal) -> Select[SurveyTarget]:
    """Targets the caller answers for. A grid worker: grids and estates in their subtree, and
    estates with households in it (an estate often belongs to the community above the grid).
    A resident: their grid and their household's estate."""
    if _respondent_kind(principal) == RespondentKind.RESIDENT:
        home = db.execute(
            select(Division.path, Household.estate_id)
            .select_from(Resident)
            .join(Division, Division.id == Resident.division_id)
            .outerjoin(Household, Household.id == Resident.household_id)
            .where(Resident.id == principal.resident_id)
        ).one()
        grid_path, estate_id = home
        grid_ids = [int(part) for part in grid_path.strip("/").split("/")]
        mine = or_(
            (SurveyTarget.estate_id.is_(None)) & SurveyTarget.division_id.in_(grid_ids),
            SurveyTarget.estate_id == estate_id if estate_id is not None else false(),
        )
        return select(SurveyTarget).where(mine)
    in_scope = Division.path.startswith(principal.division_path, autoescape=True)
    homes_in_scope = (
        exists()
        .where(Household.estate_id == SurveyTarget.estate_id)
        .where(Division.id == Household.division_id)
        .where(in_scope)
    )
    covered = (
        select(Division.id).where(Division.id == SurveyTarget.division_id).where(in_scope).exists()
    )
    return select(SurveyTarget).where(or_(covered, homes_in_scope))


def _my_targets(db: Session, principal: Principal, survey: Survey) -> list[SurveyTarget]:
    query = _targets_of(db, principal).where(SurveyTarget.survey_id == survey.id)
    targets = list(db.scalars(query.order_by(SurveyTarget.id)))
    if survey.respondent_kind == RespondentKind.RESIDENT.value:
        targets = targets[:1]  # one response per resident: always counted at their first target
    if not targets:
        raise AccessDenied(
            f"survey {survey.id} was not sent to your grid, estate or home",
            action=RESPOND,
            entity="survey",
            entity_id=str(survey.id),
        )
    return targets


def _target_for(
    db: Session, principal: Principal, survey: Survey, target_id: int | None
) -> SurveyTarget:
    targets = _my_targets(db, principal, survey)
    if target_id is None:
        if len(targets) > 1:
            names = ", ".join(t.name for t in surveys.target_names(db, targets))
            raise InvalidInput(f"say which target you answer for (target_id): {names}")
        return targets[0]
    for target in targets:
        if target.id == target_id:
            return target
    raise AccessDenied(
        f"target {target_id} of survey {survey.id} is not yours to answer for",
        action=RESPOND,
        entity="survey",
        entity_id=str(survey.id),
    )


def _new_response(
    db: Session,
    principal: Principal,
    survey: Survey,
    target: SurveyTarget,
    key: str,
    now: datetime,
) -> SurveyResponse:
    division_id = target.division_id
    if principal.resident_id is not None and key != "target":
        # A resident's answer counts where they live, so the rate by grid adds up.
        division_id = (
            db.scalar(select(Resident.division_id).where(Resident.id == principal.resident_id))
            or division_id
        )
    response = SurveyResponse(
        survey_id=survey.id,
        target_id=target.id,
        respondent_key=key,
        division_id=division_id,
        resident_id=principal.resident_id if key != "target" else None,
        submitted_by=principal.username,
        submitted_at=now,
        revision=1,
    )
    try:
        with db.begin_nested():  # a savepoint: the unique constraint decides a race
            db.add(response)
            db.flush()
    except IntegrityError:
        raise Conflict(
            "this survey was answered for the same target a moment ago: reload and try again"
        ) from None
    return response


def _first_per_survey(targets: list[SurveyTarget]) -> list[SurveyTarget]:
    seen: set[int] = set()
    first = []
    for target in sorted(targets, key=lambda t: t.id):
        if target.survey_id not in seen:
            seen.add(target.survey_id)
            first.append(target)
    return sorted(first, key=lambda t: -t.survey_id)


def _answered(db: Session, principal: Principal, targets: list[SurveyTarget]) -> set[int]:
    if not targets:
        return set()
    query = select(SurveyResponse.target_id).where(
        SurveyResponse.target_id.in_([t.id for t in targets]),
        SurveyResponse.respondent_key == _respondent_key(principal),
    )
    return set(db.scalars(query))
