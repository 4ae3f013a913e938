"""Filling a survey: which targets a grid worker or resident answers for, each answer checked
against its question's kind, one response per respondent and target (a second submit replaces
the first)."""

from __future__ import annotations

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
from epicontrol.tasks import survey_answers, surveys
from epicontrol.tasks.survey_models import (
    RespondentKind,
    Survey,
    SurveyAnswer,
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
    answers = survey_answers.check_answers(questions, data.answers)
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
