"""A survey's results in a division: per question, counts per option, number summaries and text
counts, for the division and each of its child divisions, with the response rate; and the bar
chart of a choice question."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import in_chunks
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division
from epicontrol.people.models import Household, Resident
from epicontrol.tasks import surveys
from epicontrol.tasks.survey_models import (
    QuestionKind,
    RespondentKind,
    SurveyAnswer,
    SurveyResponse,
    SurveyTarget,
)
from epicontrol.tasks.survey_schemas import (
    DivisionResult,
    NumberSummary,
    OptionCount,
    QuestionOut,
    QuestionResult,
    SurveyOut,
    SurveyResults,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

LISTED_TARGETS = 20  # targets named on a results page; their count is always given
MAX_TEXTS = 200  # free-text answers listed per question; the count is always complete
CHOICE_CHART_KINDS = frozenset(
    {QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE, QuestionKind.YES_NO}
)


@dataclass
class _Numbers:
    """Count, sum, minimum and maximum of a number question's answers in one bucket."""

    count: int
    total: float
    low: float
    high: float


@dataclass
class _Tally:
    """Counts of one bucket (a child division, or the division viewed itself)."""

    responses: int = 0
    expected: int = 0
    options: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    answered: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    numbers: dict[int, _Numbers] = field(default_factory=dict)

    def add(self, other: _Tally) -> None:
        """Fold another bucket's counts into this one."""
        self.responses += other.responses
        self.expected += other.expected
        for key, count in other.options.items():
            self.options[key] += count
        for question_id, count in other.answered.items():
            self.answered[question_id] += count
        for question_id, theirs in other.numbers.items():
            mine = self.numbers.setdefault(question_id, _Numbers(0, 0.0, theirs.low, theirs.high))
            mine.count += theirs.count
            mine.total += theirs.total
            mine.low, mine.high = min(mine.low, theirs.low), max(mine.high, theirs.high)


def results(
    db: Session, *, principal: Principal, survey_id: int, division_id: int | None = None
) -> SurveyResults:
    """Results in the caller's division, or in `division_id` of their subtree (drill-down),
    split by its child divisions; free texts listed without who wrote them. Audited."""
    survey = surveys.get_visible(db, principal=principal, survey_id=survey_id)
    root = divisions.get_in_scope(
        db, principal=principal, division_id=division_id or principal.division_id
    )
    # The first targets only: a city's survey may go to ten thousand estates.
    out = surveys.to_out(
        db, survey, targets=surveys.targets_of(db, survey.id, limit=LISTED_TARGETS)
    )
    children = divisions.children(db, division_id=root.id)
    tallies = _tallies(db, survey.id, survey.respondent_kind, root.path)
    buckets = _bucket_of(db, root, children, list(tallies))
    merged: dict[int, _Tally] = defaultdict(_Tally)
    for division_id_, tally in tallies.items():
        merged[buckets[division_id_]].add(tally)
    total = _Tally()
    for tally in merged.values():
        total.add(tally)
    rows = [_division_result(c, merged.get(c.id, _Tally()), out) for c in children]
    if root.id in merged:  # answers counted at the division itself (an estate of a community)
        rows.append(_division_result(root, merged[root.id], out, name_suffix=" 本级 itself"))
    audit.record(
        db,
        actor=principal,
        action="read",
        entity="survey_results",
        entity_id=survey.id,
        purpose="surveys",
        detail={"division_id": root.id, "responses": total.responses},
    )
    return SurveyResults(
        survey=out,
        division_id=root.id,
        division_name=root.name,
        total=_division_result(root, total, out),
        children=rows,
        texts=_texts(db, survey.id, root.path, out),
    )


def choice_figure(results_: SurveyResults, question: QuestionOut) -> go.Figure:
    """Counts of each option of a choice or yes/no question, one stacked bar per child
    division, so the total and its split show at once."""
    import plotly.graph_objects as go  # heavy: only the results page needs it

    figure = go.Figure()
    for row in results_.children:
        [result] = [q for q in row.questions if q.question_id == question.id]
        figure.add_trace(
            go.Bar(
                name=row.name,
                x=[o.label for o in result.options],
                y=[o.count for o in result.options],
                hovertemplate=f"{row.name}<br>%{{x}}: %{{y}}<extra></extra>",
            )
        )
    figure.update_layout(
        template="none",  # the default template alone adds ~7 kB to every figure's JSON
        barmode="stack",
        height=320,  # the page's heading above names the question
        margin={"l": 50, "r": 10, "t": 20, "b": 40},
        legend={"orientation": "h", "y": -0.15},
        yaxis={"title": {"text": "回答数 answers"}, "rangemode": "tozero"},
    )
    return figure


def _tallies(db: Session, survey_id: int, kind: str, path: str) -> dict[int, _Tally]:
    """Counts by the division each response is counted in, within `path`'s subtree."""
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    in_scope = Division.path.startswith(path, autoescape=True)
    responses = (
        select(SurveyResponse.division_id, func.count())
        .join(Division, Division.id == SurveyResponse.division_id)
        .where(SurveyResponse.survey_id == survey_id, in_scope)
        .group_by(SurveyResponse.division_id)
    )
    for division_id, count in db.execute(responses):
        tallies[division_id].responses = count
    for division_id, count in db.execute(_expected(survey_id, kind, in_scope)):
        tallies[division_id].expected = count
    answers = (
        select(
            SurveyResponse.division_id,
            SurveyAnswer.question_id,
            SurveyAnswer.option_index,
            func.count(func.distinct(SurveyAnswer.response_id)),
            func.count(SurveyAnswer.option_index),
            func.count(SurveyAnswer.number_value),
            func.sum(SurveyAnswer.number_value),
            func.min(SurveyAnswer.number_value),
            func.max(SurveyAnswer.number_value),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(Division, Division.id == SurveyResponse.division_id)
        .where(SurveyResponse.survey_id == survey_id, in_scope)
        .group_by(SurveyResponse.division_id, SurveyAnswer.question_id, SurveyAnswer.option_index)
    )
    for row in db.execute(answers):
        division_id, question_id, option, responding, chosen, numbers, total, low, high = row
        tally = tallies[division_id]
        if option is not None:
            tally.options[(question_id, option)] += chosen
            continue  # a multiple choice's respondents are counted once, below
        tally.answered[question_id] += responding
        if numbers and total is not None and low is not None and high is not None:
            tally.numbers[question_id] = _Numbers(numbers, float(total), float(low), float(high))
    respondents = (
        select(
            SurveyResponse.division_id,
            SurveyAnswer.question_id,
            func.count(func.distinct(SurveyAnswer.response_id)),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(Division, Division.id == SurveyResponse.division_id)
        .where(SurveyResponse.survey_id == survey_id, in_scope)
        .where(SurveyAnswer.option_index.is_not(None))
        .group_by(SurveyResponse.division_id, SurveyAnswer.question_id)
    )
    for division_id, question_id, count in db.execute(respondents):
        tallies[division_id].answered[question_id] += count
    return tallies


def _expected(survey_id: int, kind: str, in_scope: Any) -> Select[int, int]:
    """Responses expected by division: one per target (grid workers), or one per resident
    living in a target grid or in a household of a target estate (residents)."""
    if kind == RespondentKind.GRID_WORKER.value:
        return (
            select(SurveyTarget.division_id, func.count())
            .join(Division, Division.id == SurveyTarget.division_id)
            .where(SurveyTarget.survey_id == survey_id, in_scope)
            .group_by(SurveyTarget.division_id)
        )
    targets = select(SurveyTarget).where(SurveyTarget.survey_id == survey_id).subquery()
    grids = select(targets.c.division_id).where(targets.c.estate_id.is_(None))
    estates = select(targets.c.estate_id).where(targets.c.estate_id.is_not(None))
    return (
        select(Resident.division_id, func.count(func.distinct(Resident.id)))
        .join(Division, Division.id == Resident.division_id)
        .outerjoin(Household, Household.id == Resident.household_id)
        .where(in_scope)
        .where(or_(Resident.division_id.in_(grids), Household.estate_id.in_(estates)))
        .group_by(Resident.division_id)
    )


def _bucket_of(
    db: Session, root: Division, children: list[Division], division_ids: list[int]
) -> dict[int, int]:
    """Each division id mapped to the child of `root` holding it, or to `root` itself."""
    paths: dict[int, str] = {}
    for chunk in in_chunks(division_ids):
        query = select(Division.id, Division.path).where(Division.id.in_(chunk))
        paths.update(db.execute(query).all())
    by_child = {f"{root.path}{c.id}/": c.id for c in children}
    bucket = {}
    for division_id, path in paths.items():
        head = path[: path.index("/", len(root.path)) + 1] if path != root.path else path
        bucket[division_id] = by_child.get(head, root.id)
    return bucket


def _division_result(
    division: Division, tally: _Tally, survey: SurveyOut, name_suffix: str = ""
) -> DivisionResult:
    return DivisionResult(
        division_id=division.id,
        name=division.name + name_suffix,
        level=division.level,
        responses=tally.responses,
        expected=tally.expected,
        response_rate=round(tally.responses / tally.expected, 4) if tally.expected else None,
        questions=[_question_result(q, tally) for q in survey.questions],
    )


def _question_result(question: QuestionOut, tally: _Tally) -> QuestionResult:
    result = QuestionResult(question_id=question.id, answered=tally.answered.get(question.id, 0))
    if question.kind in CHOICE_CHART_KINDS:
        result.options = [
            OptionCount(label=label, count=tally.options.get((question.id, index), 0))
            for index, label in enumerate(question.options)
        ]
    elif question.kind == QuestionKind.NUMBER:
        numbers = tally.numbers.get(question.id)
        result.number = (
            NumberSummary(
                count=numbers.count,
                sum=numbers.total,
                mean=round(numbers.total / numbers.count, 6),
                min=numbers.low,
                max=numbers.high,
            )
            if numbers
            else NumberSummary(count=0, sum=None, mean=None, min=None, max=None)
        )
    return result


def _texts(db: Session, survey_id: int, path: str, survey: SurveyOut) -> dict[int, list[str]]:
    """Free-text answers by question, the text only: never who wrote it or where they live."""
    texts: dict[int, list[str]] = {}
    for question in survey.questions:
        if question.kind != QuestionKind.TEXT:
            continue
        query = (
            select(SurveyAnswer.text_value)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(Division, Division.id == SurveyResponse.division_id)
            .where(SurveyResponse.survey_id == survey_id, SurveyAnswer.question_id == question.id)
            .where(Division.path.startswith(path, autoescape=True))
            .where(SurveyAnswer.text_value.is_not(None))
            .order_by(SurveyAnswer.id)
            .limit(MAX_TEXTS)
        )
        texts[question.id] = [t for t in db.scalars(query) if t]
    return texts
