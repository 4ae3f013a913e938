"""Surveys (统计调查): define, send to grids or estates of one's scope, close; who sees which.

Answers are taken by survey_responses.py and counted by survey_results.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import in_chunks
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division, DivisionLevel, HousingEstate
from epicontrol.tasks.survey_models import (
    QuestionKind,
    RespondentKind,
    Survey,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    SurveyTarget,
)
from epicontrol.tasks.survey_schemas import (
    YES_NO_LABELS,
    QuestionOut,
    SurveyIn,
    SurveyOut,
    SurveySummary,
    TargetOut,
)

MANAGE = str(Permission.SURVEY_MANAGE)
MAX_LISTED = 200


def create(db: Session, *, principal: Principal, data: SurveyIn, now: datetime) -> SurveyOut:
    """A draft survey owned by the caller's division, its targets checked against their scope."""
    targets = _resolve_targets(db, principal, data)
    survey = Survey(
        title=data.title.strip(),
        description=data.description.strip(),
        respondent_kind=data.respondent_kind.value,
        status=SurveyStatus.DRAFT.value,
        division_id=principal.division_id,
        created_by=principal.username,
        created_at=now,
    )
    db.add(survey)
    db.flush()
    _store_definition(db, survey, data, targets)
    _audit(db, principal, survey, "create", {"targets": len(targets)})
    return to_out(db, survey)


def update(db: Session, *, principal: Principal, survey_id: int, data: SurveyIn) -> SurveyOut:
    """Replace a draft's title, questions and targets; a sent or closed survey is refused (409):
    its answers would no longer match its questions."""
    survey = get_managed(db, principal=principal, survey_id=survey_id)
    if survey.status != SurveyStatus.DRAFT.value:
        raise Conflict(f"survey {survey_id} is {survey.status}: its questions can no longer change")
    targets = _resolve_targets(db, principal, data)
    survey.title = data.title.strip()
    survey.description = data.description.strip()
    survey.respondent_kind = data.respondent_kind.value
    db.execute(delete(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id))
    db.execute(delete(SurveyTarget).where(SurveyTarget.survey_id == survey.id))
    _store_definition(db, survey, data, targets)
    _audit(db, principal, survey, "update", {"targets": len(targets)})
    return to_out(db, survey)


def send(db: Session, *, principal: Principal, survey_id: int, now: datetime) -> SurveyOut:
    """Draft -> sent: respondents of its targets see it and may answer."""
    survey = get_managed(db, principal=principal, survey_id=survey_id)
    if survey.status != SurveyStatus.DRAFT.value:
        raise Conflict(f"survey {survey_id} is already {survey.status}")
    if _target_count(db, survey.id) == 0:
        raise InvalidInput("choose at least one grid or housing estate to send the survey to")
    survey.status = SurveyStatus.SENT.value
    survey.sent_at = now
    _audit(db, principal, survey, "send", {})
    return to_out(db, survey)


def close(db: Session, *, principal: Principal, survey_id: int, now: datetime) -> SurveyOut:
    """Sent -> closed: no more answers; results stay readable."""
    survey = get_managed(db, principal=principal, survey_id=survey_id)
    if survey.status != SurveyStatus.SENT.value:
        raise Conflict(f"survey {survey_id} is {survey.status}: only a sent survey closes")
    survey.status = SurveyStatus.CLOSED.value
    survey.closed_at = now
    _audit(db, principal, survey, "close", {})
    return to_out(db, survey)


def get(db: Session, *, survey_id: int) -> Survey:
    """The survey, or NotFound."""
    survey = db.get(Survey, survey_id)
    if survey is None:
        raise NotFound(f"survey {survey_id} does not exist")
    return survey


def get_visible(db: Session, *, principal: Principal, survey_id: int) -> Survey:
    """A survey owned in the caller's subtree or sent to a target in it; else AccessDenied."""
    survey = get(db, survey_id=survey_id)
    if not _owner_covered(db, principal, survey) and not _reaches(db, principal, survey.id):
        raise AccessDenied(
            f"survey {survey_id} belongs to neither your division nor its targets",
            action=str(Permission.SURVEY_READ),
            entity="survey",
            entity_id=str(survey_id),
        )
    return survey


def get_managed(db: Session, *, principal: Principal, survey_id: int) -> Survey:
    """A survey whose owning division lies in the caller's subtree; else AccessDenied."""
    survey = get(db, survey_id=survey_id)
    if not _owner_covered(db, principal, survey):
        raise AccessDenied(
            f"survey {survey_id} is managed by another division",
            action=MANAGE,
            entity="survey",
            entity_id=str(survey_id),
        )
    return survey


def list_visible(db: Session, *, principal: Principal) -> list[SurveySummary]:
    """Surveys owned in the caller's subtree or sent into it, newest first, with the number of
    responses counted in the caller's subtree."""
    in_scope = Division.path.startswith(principal.division_path, autoescape=True)
    owned = select(Division.id).where(in_scope)
    reached = select(SurveyTarget.survey_id).join(Division, Division.id == SurveyTarget.division_id)
    query = (
        select(Survey, Division.name, Division.path)
        .join(Division, Division.id == Survey.division_id)
        .where(or_(Survey.division_id.in_(owned), Survey.id.in_(reached.where(in_scope))))
        .order_by(Survey.id.desc())
        .limit(MAX_LISTED)
    )
    rows = db.execute(query).all()
    ids = [survey.id for survey, _, _ in rows]
    targets = _counts(db, select(SurveyTarget.survey_id, func.count()), SurveyTarget.survey_id, ids)
    responses = _counts(
        db,
        select(SurveyResponse.survey_id, func.count())
        .join(Division, Division.id == SurveyResponse.division_id)
        .where(in_scope),
        SurveyResponse.survey_id,
        ids,
    )
    can_manage = is_allowed(principal.role, Permission.SURVEY_MANAGE)
    return [
        SurveySummary(
            id=survey.id,
            title=survey.title,
            respondent_kind=RespondentKind(survey.respondent_kind),
            status=SurveyStatus(survey.status),
            division_name=name,
            created_at=survey.created_at,
            sent_at=survey.sent_at,
            targets=targets.get(survey.id, 0),
            responses=responses.get(survey.id, 0),
            can_manage=can_manage and principal.covers(path),
        )
        for survey, name, path in rows
    ]


def questions_of(db: Session, survey_id: int) -> list[SurveyQuestion]:
    """The survey's questions in order."""
    query = (
        select(SurveyQuestion)
        .where(SurveyQuestion.survey_id == survey_id)
        .order_by(SurveyQuestion.position)
    )
    return list(db.scalars(query))


def question_out(question: SurveyQuestion) -> QuestionOut:
    """A stored question as shown; a yes/no question lists its two fixed options."""
    kind = QuestionKind(question.kind)
    return QuestionOut(
        id=question.id,
        position=question.position,
        kind=kind,
        prompt=question.prompt,
        is_required=question.is_required,
        options=list(YES_NO_LABELS) if kind == QuestionKind.YES_NO else list(question.options),
        min_value=question.min_value,
        max_value=question.max_value,
    )


def target_names(db: Session, targets: Iterable[SurveyTarget]) -> list[TargetOut]:
    """Targets with the name of their grid or estate."""
    listed = list(targets)
    names: dict[tuple[str, int], str] = {}
    grid_ids = sorted({t.division_id for t in listed if t.estate_id is None})
    estate_ids = sorted({t.estate_id for t in listed if t.estate_id is not None})
    for chunk in in_chunks(grid_ids):
        query = select(Division.id, Division.name).where(Division.id.in_(chunk))
        names.update((("grid", i), name) for i, name in db.execute(query))
    for chunk in in_chunks(estate_ids):
        query = select(HousingEstate.id, HousingEstate.name).where(HousingEstate.id.in_(chunk))
        names.update((("estate", i), name) for i, name in db.execute(query))
    return [
        TargetOut(
            id=t.id,
            division_id=t.division_id,
            estate_id=t.estate_id,
            name=names.get(
                ("grid", t.division_id) if t.estate_id is None else ("estate", t.estate_id), ""
            ),
        )
        for t in listed
    ]


def targets_of(db: Session, survey_id: int, *, limit: int | None = None) -> list[SurveyTarget]:
    """The survey's targets in the order they were chosen (the first `limit` of them)."""
    query = select(SurveyTarget).where(SurveyTarget.survey_id == survey_id)
    return list(db.scalars(query.order_by(SurveyTarget.id).limit(limit)))


def to_out(db: Session, survey: Survey, *, targets: list[SurveyTarget] | None = None) -> SurveyOut:
    """The survey with its questions, the count of its targets and (all, or the given) ones."""
    if targets is None:
        targets = targets_of(db, survey.id)
    owner = divisions.get(db, division_id=survey.division_id)
    return SurveyOut(
        id=survey.id,
        title=survey.title,
        description=survey.description,
        respondent_kind=RespondentKind(survey.respondent_kind),
        status=SurveyStatus(survey.status),
        division_id=survey.division_id,
        division_name=owner.name,
        created_by=survey.created_by,
        created_at=survey.created_at,
        sent_at=survey.sent_at,
        closed_at=survey.closed_at,
        questions=[question_out(q) for q in questions_of(db, survey.id)],
        targets=target_names(db, targets),
        target_count=_target_count(db, survey.id),
    )


def _store_definition(
    db: Session, survey: Survey, data: SurveyIn, targets: list[tuple[int, int | None]]
) -> None:
    for position, question in enumerate(data.questions, start=1):
        db.add(
            SurveyQuestion(
                survey_id=survey.id,
                position=position,
                kind=question.kind.value,
                prompt=question.prompt.strip(),
                is_required=question.is_required,
                options=question.options,
                min_value=question.min_value,
                max_value=question.max_value,
            )
        )
    db.add_all(
        SurveyTarget(survey_id=survey.id, division_id=division_id, estate_id=estate_id)
        for division_id, estate_id in targets
    )
    db.flush()


def _resolve_targets(
    db: Session, principal: Principal, data: SurveyIn
) -> list[tuple[int, int | None]]:
    """(division id, estate id or None) of every grid and estate named, each once, all in the
    caller's scope (AccessDenied naming the first outside it)."""
    found: dict[tuple[int, int | None], None] = {}
    for grid_id in data.grid_ids:
        grid = _in_scope(db, principal, grid_id)
        if grid.level != DivisionLevel.GRID.value:
            raise InvalidInput(f"{grid.name} is a {grid.level}, not a grid")
        found[(grid.id, None)] = None
    for division_id in data.grids_under:
        path = _in_scope(db, principal, division_id).path
        grids = select(Division.id).where(
            Division.level == DivisionLevel.GRID.value,
            Division.path.startswith(path, autoescape=True),
        )
        found.update(((grid_id, None), None) for grid_id in db.scalars(grids.order_by(Division.id)))
    for estate_id in data.estate_ids:
        estate = db.get(HousingEstate, estate_id)
        if estate is None:
            raise InvalidInput(f"housing estate {estate_id} does not exist")
        _in_scope(db, principal, estate.division_id, what=f"housing estate {estate.name}")
        found[(estate.division_id, estate.id)] = None
    for division_id in data.estates_under:
        path = _in_scope(db, principal, division_id).path
        estates = (
            select(HousingEstate.division_id, HousingEstate.id)
            .join(Division, Division.id == HousingEstate.division_id)
            .where(Division.path.startswith(path, autoescape=True))
            .order_by(HousingEstate.id)
        )
        found.update(((d, e), None) for d, e in db.execute(estates))
    return list(found)


def _in_scope(db: Session, principal: Principal, division_id: int, what: str = "") -> Division:
    division = divisions.get(db, division_id=division_id)
    if not principal.covers(division.path):
        raise AccessDenied(
            f"{what or division.name} is outside your scope: a survey goes to your own area",
            action=MANAGE,
            entity="survey",
        )
    return division


def _owner_covered(db: Session, principal: Principal, survey: Survey) -> bool:
    owner = divisions.get(db, division_id=survey.division_id)
    return principal.covers(owner.path)


def _reaches(db: Session, principal: Principal, survey_id: int) -> bool:
    """Whether the survey was sent to a grid or estate in the caller's subtree."""
    query = select(
        exists()
        .where(SurveyTarget.survey_id == survey_id)
        .where(Division.id == SurveyTarget.division_id)
        .where(Division.path.startswith(principal.division_path, autoescape=True))
    )
    return bool(db.scalar(query))


def _target_count(db: Session, survey_id: int) -> int:
    query = select(func.count()).where(SurveyTarget.survey_id == survey_id)
    return db.scalar(query) or 0


def _counts(
    db: Session, query: Select[int, int], column: InstrumentedAttribute[int], ids: list[int]
) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.execute(query.where(column.in_(ids)).group_by(column))
    return {survey_id: count for survey_id, count in rows}


def _audit(
    db: Session, principal: Principal, survey: Survey, action: str, detail: dict[str, Any]
) -> None:
    audit.record(
        db,
        actor=principal,
        action=action,
        entity="survey",
        entity_id=survey.id,
        purpose="surveys",
        detail={"status": survey.status, **detail},
    )
