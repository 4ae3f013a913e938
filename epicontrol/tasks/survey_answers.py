"""A survey's answers checked against each question's kind, bounds and options, and read from
a page's form."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from epicontrol.core.errors import InvalidInput
from epicontrol.tasks.survey_models import QuestionKind, SurveyAnswer, SurveyQuestion
from epicontrol.tasks.survey_schemas import AnswerValue

MAX_TEXT = 1000
# Answers as a page's form sends them, to be read into AnswerValue by answers_from_form.
FormValues = Mapping[str, Sequence[str]]


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
