"""Benchmark: the Q&A's answers to the held set of questions (tests/portal/data/qa_heldout.json)
over the seed articles (epicontrol/portal/data/articles_seed.json).

    .venv/bin/python bench/bench_qa.py            # accuracy, no-answer precision/recall, latency
    .venv/bin/python bench/bench_qa.py --wrong    # ... and the questions answered wrongly
    .venv/bin/python bench/bench_qa.py --sweep    # the thresholds' effect on the dev half

Top-1 accuracy: the share of answerable questions whose answer cites an expected article ("no
good answer" counts as wrong). No-answer precision: of the questions left unanswered, the share
that were off-topic; recall: of the off-topic ones, the share left unanswered. Latency: per
question through the index (qa_index.LanguageIndex.search, passage included), then through
qa.answer on a SQLite store (the published-set check included), as a request makes it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from epicontrol.portal import qa, qa_index  # noqa: E402
from epicontrol.portal.qa_eval import (  # noqa: E402
    HeldQuestion,
    Report,
    evaluate,
    load_held_set,
    seed_corpus,
)

HELD_SET = Path(__file__).resolve().parent.parent / "tests" / "portal" / "data" / "qa_heldout.json"


def _print_report(report: Report) -> None:
    for language in ("zh", "en"):
        print(
            f"top-1 {language}: {report.top1(language):.3f}"
            f"  (dev {report.top1(language, 'dev'):.3f}, test {report.top1(language, 'test'):.3f})"
        )
    print(
        f"no answer: precision {report.no_answer_precision():.3f}, "
        f"recall {report.no_answer_recall():.3f}"
        f"  (test half: {report.no_answer_precision('test'):.3f}, "
        f"{report.no_answer_recall('test'):.3f})"
    )
    median, worst = report.latency_ms()
    print(f"latency (index): median {median:.2f} ms, max {worst:.2f} ms per question")


def _print_wrong(report: Report) -> None:
    for outcome in report.wrong():
        held = outcome.held
        print(
            f"  [{held.language} {held.split}] {held.question!r}: expected "
            f"{list(held.expect) or 'no answer'}, got {outcome.answered_slug or 'no answer'}"
        )


def _sweep(held: list[HeldQuestion]) -> None:
    """Right answers on the dev half for each minimum coverage and title weight."""
    dev = [q for q in held if q.split == "dev"]
    saved = dict(qa_index.MIN_COVERAGE), qa_index.TITLE_WEIGHT
    for weight in (1.0, 1.5, 2.0, 3.0):
        qa_index.TITLE_WEIGHT = weight
        corpus, slugs = seed_corpus()
        for language in ("zh", "en"):
            mine = [q for q in dev if q.language == language]
            row = []
            for minimum in (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5):
                qa_index.MIN_COVERAGE[language] = minimum
                report = evaluate(corpus, slugs, mine)
                right = sum(o.is_right for o in report.outcomes)
                row.append(f"{minimum:.2f}:{right}/{len(mine)}")
            qa_index.MIN_COVERAGE[language] = saved[0][language]
            print(f"title weight {weight} {language}: " + "  ".join(row))
    qa_index.MIN_COVERAGE.update(saved[0])
    qa_index.TITLE_WEIGHT = saved[1]


def _store_latency(held_questions: list[tuple[str, str]]) -> tuple[float, float, float]:
    """First answer (index build) and median/max of the others, in ms, through qa.answer on
    a migrated SQLite store holding the seed articles."""
    from sqlalchemy.orm import Session

    from epicontrol.core import migrate
    from epicontrol.core.db import engine_for
    from epicontrol.core.models import User
    from epicontrol.divisions.models import Division
    from epicontrol.portal.article_seed import seed_articles

    folder = Path(tempfile.mkdtemp(prefix="bench_qa_"))
    url = f"sqlite:///{folder / 'store.db'}"
    migrate.upgrade(url)
    engine = engine_for(url)
    with Session(engine) as db:
        city = Division(code="BENCH", name="bench city", level="city", path="/BENCH/")
        db.add(city)
        db.flush()
        author = User(username="author", password_hash="-", role="commander", division_id=city.id)
        db.add(author)
        db.flush()
        seed_articles(db, author.id)
        db.commit()
    cache = qa.IndexCache()
    times = []
    for question, language in held_questions:
        with Session(engine) as db:  # a session per question, as each request has
            started = time.perf_counter()
            qa.answer(db, question, language, cache=cache)
            times.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return times[0], statistics.median(times[1:]), max(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--held-set", type=Path, default=HELD_SET)
    parser.add_argument("--wrong", action="store_true", help="list the wrong answers")
    parser.add_argument("--sweep", action="store_true", help="threshold sweep on the dev half")
    parser.add_argument("--no-store", action="store_true", help="skip the SQLite latency")
    args = parser.parse_args()

    held = load_held_set(args.held_set)
    if args.sweep:
        _sweep(held)
        return
    started = time.perf_counter()
    corpus, slugs = seed_corpus()
    build_seconds = time.perf_counter() - started
    answerable = sum(bool(q.expect) for q in held)
    print(
        f"{len(held)} questions ({answerable} answerable, {len(held) - answerable} off-topic), "
        f"{len(slugs)} articles; index built in {build_seconds:.2f} s (jieba's start included)"
    )
    report = evaluate(corpus, slugs, held)
    _print_report(report)
    if args.wrong:
        _print_wrong(report)
    if not args.no_store:
        first, median, worst = _store_latency([(q.question, q.language) for q in held])
        print(
            f"latency (qa.answer on SQLite): first {first:.1f} ms (builds the index), "
            f"then median {median:.2f} ms, max {worst:.2f} ms"
        )


if __name__ == "__main__":
    main()
