"""The survey pages' forms read into the API's schemas, and what the builder offers as targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.errors import InvalidInput
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division, DivisionLevel, HousingEstate
from epicontrol.tasks.survey_models import QuestionKind, RespondentKind
from epicontrol.tasks.survey_schemas import QuestionIn, SurveyIn

MAX_FORM_QUESTIONS = 50
LISTED_TARGETS = 120  # beyond this many grids or estates, the builder offers whole divisions
TARGET_FIELDS = ("grid_ids", "estate_ids", "grids_under", "estates_under")
FormValues = Mapping[str, Sequence[str]]

KIND_LABELS = {
    QuestionKind.SINGLE_CHOICE.value: "单选 single choice",
    QuestionKind.MULTIPLE_CHOICE.value: "多选 multiple choice",
    QuestionKind.YES_NO.value: "是否 yes / no",
    QuestionKind.NUMBER.value: "数字 number",
    QuestionKind.TEXT.value: "文字 free text",
}
RESPONDENT_LABELS = {
    RespondentKind.GRID_WORKER.value: "网格员 grid workers (one per grid or estate)",
    RespondentKind.RESIDENT.value: "居民 residents (one per resident)",
}
STATUS_LABELS = {"draft": "草稿 draft", "sent": "已发送 sent", "closed": "已结束 closed"}


@dataclass(frozen=True, slots=True)
class TargetChoices:
    """What the builder lists: single grids and estates (if few) and divisions to send to whole."""

    grids: list[tuple[int, str]]
    estates: list[tuple[int, str]]
    divisions: list[tuple[int, str]]


def target_choices(db: Session, *, principal: Principal) -> TargetChoices:
    """Grids and estates of the caller's scope when they are few; always the caller's division
    and its children, whose every grid or estate can be chosen at once."""
    in_scope = Division.path.startswith(principal.division_path, autoescape=True)
    grids = (
        select(Division.id, Division.name)
        .where(in_scope, Division.level == DivisionLevel.GRID.value)
        .order_by(Division.code)
    )
    estates = (
        select(HousingEstate.id, HousingEstate.name)
        .join(Division, Division.id == HousingEstate.division_id)
        .where(in_scope)
        .order_by(HousingEstate.name, HousingEstate.id)
    )
    listed: dict[str, list[tuple[int, str]]] = {}
    for name, query in (("grids", grids), ("estates", estates)):
        count = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        rows = db.execute(query.limit(LISTED_TARGETS)).all()
        listed[name] = [(i, n) for i, n in rows] if count <= LISTED_TARGETS else []
    own = divisions.get(db, division_id=principal.division_id)
    # A grid is itself a target; only divisions above grids are offered whole.
    whole = [
        (d.id, d.name)
        for d in [own, *divisions.children(db, division_id=own.id)]
        if d.level != DivisionLevel.GRID.value
    ]
    return TargetChoices(grids=listed["grids"], estates=listed["estates"], divisions=whole)


def survey_from_form(form: FormValues) -> SurveyIn:
    """The builder's fields (q<n>_prompt, q<n>_kind, q<n>_options one per line, q<n>_min,
    q<n>_max, q<n>_required) read into SurveyIn; question blocks left blank are skipped."""
    questions = []
    for n in range(1, MAX_FORM_QUESTIONS + 1):
        prompt = _one(form, f"q{n}_prompt")
        if not prompt:
            continue
        kind = _one(form, f"q{n}_kind") or QuestionKind.SINGLE_CHOICE.value
        options = [line.strip() for line in _one(form, f"q{n}_options").splitlines()]
        is_number = kind == QuestionKind.NUMBER.value
        is_choice = kind in (QuestionKind.SINGLE_CHOICE.value, QuestionKind.MULTIPLE_CHOICE.value)
        try:
            questions.append(
                QuestionIn(
                    kind=QuestionKind(kind),
                    prompt=prompt,
                    is_required=bool(_one(form, f"q{n}_required")),
                    options=[o for o in options if o] if is_choice else [],
                    min_value=_float(form, f"q{n}_min", n) if is_number else None,
                    max_value=_float(form, f"q{n}_max", n) if is_number else None,
                )
            )
        except ValidationError as error:
            raise InvalidInput(_first_message(error, f"问题 question {n}")) from None
        except ValueError:
            raise InvalidInput(f"问题 question {n}: unknown kind '{kind[:20]}'") from None
    try:
        return SurveyIn.model_validate(
            {
                "title": _one(form, "title"),
                "description": _one(form, "description"),
                "respondent_kind": _one(form, "respondent_kind") or RespondentKind.GRID_WORKER,
                "questions": questions,
                **{name: _ids(form, name) for name in TARGET_FIELDS},
            }
        )
    except ValidationError as error:
        raise InvalidInput(_first_message(error, "调查 survey")) from None


def _one(form: FormValues, name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def _float(form: FormValues, name: str, n: int) -> float | None:
    text = _one(form, name)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"问题 question {n}: '{text[:20]}' is not a number") from None


def _ids(form: FormValues, name: str) -> list[int]:
    try:
        return [int(v) for v in form.get(name, []) if v.strip()]
    except ValueError:
        raise InvalidInput(f"{name}: not a list of ids") from None


def _first_message(error: ValidationError, where: str) -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {field + ': ' if field else ''}{message}"
