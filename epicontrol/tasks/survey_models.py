"""Surveys (统计调查): a form an officer sends to grids or housing estates, and its responses."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class SurveyStatus(StrEnum):
    """Life of a survey: questions are edited in draft, answered once sent, frozen when closed."""

    DRAFT = "draft"
    SENT = "sent"
    CLOSED = "closed"


class RespondentKind(StrEnum):
    """Who fills the survey in."""

    GRID_WORKER = "grid_worker"  # one response per target grid or estate
    RESIDENT = "resident"  # one response per resident living in a target


class QuestionKind(StrEnum):
    """Kinds of question; each has its own answer check (survey_answers.check_answer)."""

    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    NUMBER = "number"
    TEXT = "text"


class Survey(Base):
    """A survey defined by an officer of `division_id`, who (and whose superiors) manage it."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    respondent_kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=SurveyStatus.DRAFT.value, index=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyQuestion(Base):
    """One question; `options` holds the labels of a choice question (empty for other kinds)."""

    __tablename__ = "survey_questions"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    prompt: Mapped[str] = mapped_column(String(300))
    is_required: Mapped[bool] = mapped_column(Boolean, default=True)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)


class SurveyTarget(Base):
    """A grid (estate_id null) or a housing estate the survey is sent to. `division_id` is the
    grid itself or the estate's division: scope checks and aggregation read it."""

    __tablename__ = "survey_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"))
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("housing_estates.id"))


class SurveyResponse(Base):
    """One response. `respondent_key` is "target" for a grid-worker survey (one per target,
    whoever fills it) and "resident:<id>" for a resident survey: with the unique constraint a
    target or resident answers once; submitting again replaces the answers (`revision` + 1).
    `division_id` is where the answer is counted: the target's division, or the resident's grid."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "target_id", "respondent_key"),
        Index("ix_survey_responses_survey_division", "survey_id", "division_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("survey_targets.id", ondelete="CASCADE"))
    respondent_key: Mapped[str] = mapped_column(String(40))
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    submitted_by: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)


class SurveyAnswer(Base):
    """One answer: a chosen option (one row per option of a multiple choice; yes/no is option 0
    or 1), a number, or a text. Rows make counting by option a GROUP BY."""

    __tablename__ = "survey_answers"
    __table_args__ = (Index("ix_survey_answers_question_option", "question_id", "option_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"))
    option_index: Mapped[int | None] = mapped_column(Integer)
    number_value: Mapped[float | None] = mapped_column(Float)
    text_value: Mapped[str | None] = mapped_column(String(1000))
