"""Measuring the Q&A on a held set of questions with their expected seed articles (by slug):
top-1 accuracy per language, no-answer precision and recall, latency per question."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from epicontrol.portal.article_models import Article, ArticleState
from epicontrol.portal.article_seed import seed_entries
from epicontrol.portal.qa import CorpusIndex, build_index, check_question


@dataclass(frozen=True)
class HeldQuestion:
    """One question of the held set; `expect` empty means "no good answer" is right."""

    language: str
    split: str
    question: str
    expect: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What the Q&A did with one question."""

    held: HeldQuestion
    answered_slug: str | None
    seconds: float

    @property
    def is_right(self) -> bool:
        """An expected article on top, or no answer where none was expected."""
        if not self.held.expect:
            return self.answered_slug is None
        return self.answered_slug in self.held.expect


@dataclass
class Report:
    """The held set's results, with the figures bench_qa prints and the test bounds."""

    outcomes: list[Outcome] = field(default_factory=list)

    def top1(self, language: str | None = None, split: str | None = None) -> float:
        """Share of answerable questions whose answer cites an expected article."""
        chosen = [o for o in self._select(language, split) if o.held.expect]
        return sum(o.is_right for o in chosen) / len(chosen) if chosen else 0.0

    def no_answer_precision(self, split: str | None = None) -> float:
        """Of the questions left unanswered, the share that had no answer in the articles."""
        silent = [o for o in self._select(None, split) if o.answered_slug is None]
        return sum(not o.held.expect for o in silent) / len(silent) if silent else 1.0

    def no_answer_recall(self, split: str | None = None) -> float:
        """Of the off-topic questions, the share left unanswered."""
        off_topic = [o for o in self._select(None, split) if not o.held.expect]
        return (
            sum(o.answered_slug is None for o in off_topic) / len(off_topic) if off_topic else 1.0
        )

    def latency_ms(self) -> tuple[float, float]:
        """Median and maximum milliseconds per question."""
        times = [o.seconds * 1000 for o in self.outcomes]
        return statistics.median(times), max(times)

    def wrong(self) -> list[Outcome]:
        """The questions answered wrongly, for the bench's listing."""
        return [o for o in self.outcomes if not o.is_right]

    def _select(self, language: str | None, split: str | None) -> Iterable[Outcome]:
        return [
            o
            for o in self.outcomes
            if (language is None or o.held.language == language)
            and (split is None or o.held.split == split)
        ]


def load_held_set(path: Path) -> list[HeldQuestion]:
    """The questions of a held-set file (tests/portal/data/qa_heldout.json)."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return [
        HeldQuestion(row["lang"], row["split"], row["question"], tuple(row["expect"]))
        for row in document["questions"]
    ]


def seed_corpus() -> tuple[CorpusIndex, dict[int, str]]:
    """The index of the seed articles as published (in memory, ids 1..n) and id -> slug."""
    articles = []
    for number, entry in enumerate(seed_entries(), start=1):
        published = datetime.fromisoformat(entry["published_at"]).astimezone(UTC)
        articles.append(
            Article(
                id=number,
                kind=entry["kind"],
                state=ArticleState.PUBLISHED.value,
                title_zh=entry["title_zh"],
                title_en=entry["title_en"],
                body_zh=entry["body_zh"],
                body_en=entry["body_en"],
                source=entry["source"],
                published_at=published,
            )
        )
    slugs = {number: entry["slug"] for number, entry in enumerate(seed_entries(), start=1)}
    return build_index(articles), slugs


def evaluate(corpus: CorpusIndex, slugs: dict[int, str], held: list[HeldQuestion]) -> Report:
    """Ask every held question of `corpus`; a "no good answer" counts as answering None."""
    report = Report()
    for question in held:
        started = time.perf_counter()
        text = check_question(question.question, question.language)
        hits = corpus.indexes[question.language].search(text, limit=1)
        seconds = time.perf_counter() - started
        answered = slugs[hits[0].article_id] if hits and hits[0].is_answer else None
        report.outcomes.append(Outcome(question, answered, seconds))
    return report
