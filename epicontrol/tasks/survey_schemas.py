"""Surveys as the API takes and shows them: definitions, responses, results by division."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from epicontrol.tasks.survey_models import QuestionKind, RespondentKind, SurveyStatus

CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE})
YES_NO_LABELS = ("是 yes", "否 no")  # option 0 and option 1 of every yes/no question
# One answer as sent: an option index (single choice), option indexes (multiple choice),
# true/false (yes/no), a number, or a text. Checked against the question's kind by the service.
AnswerValue = bool | int | float | str | list[int] | None


class QuestionIn(BaseModel):
    """A question of a survey being defined."""

    model_config = ConfigDict(extra="forbid")

    kind: QuestionKind
    prompt: str = Field(min_length=1, max_length=300)
    is_required: bool = True
    options: list[str] = Field(default_factory=list, max_length=30)
    min_value: float | None = None
    max_value: float | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        """Options only for choices (2 or more, distinct); min/max only for numbers."""
        name = f"question '{self.prompt[:40]}'"
        options = [o.strip() for o in self.options]
        if self.kind in CHOICE_KINDS:
            if len(options) < 2 or any(not o or len(o) > 100 for o in options):
                raise ValueError(f"{name}: a choice needs 2 or more options of 1-100 characters")
            if len(set(options)) != len(options):
                raise ValueError(f"{name}: options repeat")
        elif options:
            raise ValueError(f"{name}: only choice questions have options")
        has_bounds = self.min_value is not None or self.max_value is not None
        if self.kind != QuestionKind.NUMBER and has_bounds:
            raise ValueError(f"{name}: only number questions have a minimum or maximum")
        low, high = self.min_value, self.max_value
        if low is not None and high is not None and low > high:
            raise ValueError(f"{name}: the minimum is above the maximum")
        self.options = options
        return self


class SurveyIn(BaseModel):
    """A survey as an officer defines it (or redefines it while it is a draft)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    respondent_kind: RespondentKind
    questions: list[QuestionIn] = Field(min_length=1, max_length=50)
    grid_ids: list[int] = Field(default_factory=list, description="grids sent to")
    estate_ids: list[int] = Field(default_factory=list, description="housing estates sent to")
    grids_under: list[int] = Field(
        default_factory=list, description="divisions whose every grid is sent to"
    )
    estates_under: list[int] = Field(
        default_factory=list, description="divisions whose every estate is sent to"
    )


class QuestionOut(BaseModel):
    """A stored question; a yes/no question lists its two fixed options."""

    id: int
    position: int
    kind: QuestionKind
    prompt: str
    is_required: bool
    options: list[str]
    min_value: float | None
    max_value: float | None


class TargetOut(BaseModel):
    """A grid or an estate the survey is sent to."""

    id: int
    division_id: int
    estate_id: int | None
    name: str


class SurveyOut(BaseModel):
    """A survey with its questions and targets."""

    id: int
    title: str
    description: str
    respondent_kind: RespondentKind
    status: SurveyStatus
    division_id: int
    division_name: str
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    closed_at: datetime | None
    questions: list[QuestionOut]
    target_count: int
    targets: list[TargetOut] = Field(
        description="every target; in results and fill views, the first 20 or the caller's own"
    )


class SurveySummary(BaseModel):
    """A line of a survey list; `responses` counts those in the caller's scope."""

    id: int
    title: str
    respondent_kind: RespondentKind
    status: SurveyStatus
    division_name: str
    created_at: datetime
    sent_at: datetime | None
    targets: int
    responses: int
    can_manage: bool


class ToFill(BaseModel):
    """A sent survey the caller may fill, for one target, and whether they did already."""

    survey_id: int
    title: str
    target_id: int
    target_name: str
    is_answered: bool


class ResponseIn(BaseModel):
    """Answers keyed by question id. `target_id` names the grid or estate answered for (a grid
    worker with several; a resident's is their home and may be left out)."""

    model_config = ConfigDict(extra="forbid")

    target_id: int | None = None
    answers: dict[int, AnswerValue] = Field(default_factory=dict)


class ResponseOut(BaseModel):
    """A stored response (no answers echoed: they are in the results)."""

    id: int
    survey_id: int
    target_id: int
    revision: int
    submitted_at: datetime


class OptionCount(BaseModel):
    """How many chose one option."""

    label: str
    count: int


class NumberSummary(BaseModel):
    """Sum, mean, minimum and maximum of a number question's answers."""

    count: int
    sum: float | None
    mean: float | None
    min: float | None
    max: float | None


class QuestionResult(BaseModel):
    """One question's answers in one division: option counts, a number summary, or the count
    of texts (the texts themselves are in SurveyResults.texts, without who wrote them)."""

    question_id: int
    answered: int
    options: list[OptionCount] = Field(default_factory=list)
    number: NumberSummary | None = None


class DivisionResult(BaseModel):
    """The answers counted in one division (a child of the one viewed, or its total)."""

    division_id: int
    name: str
    level: str
    responses: int
    expected: int
    response_rate: float | None
    questions: list[QuestionResult]


class SurveyResults(BaseModel):
    """A survey's results in a division: its total and one line per child division."""

    survey: SurveyOut
    division_id: int
    division_name: str
    total: DivisionResult
    children: list[DivisionResult]
    texts: dict[int, list[str]] = Field(default_factory=dict)
