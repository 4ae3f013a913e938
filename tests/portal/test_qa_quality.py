"""The Q&A on its held set of questions (tests/portal/data/qa_heldout.json) over the seed
articles: accuracy floors so that a change making answers worse fails; and its text handling."""

from __future__ import annotations

from pathlib import Path

import pytest

from epicontrol.portal.article_seed import seed_entries
from epicontrol.portal.qa import build_index
from epicontrol.portal.qa_eval import Report, evaluate, load_held_set, seed_corpus
from epicontrol.portal.qa_text import sentences, stem, tokens_en, tokens_zh

HELD_SET = Path(__file__).resolve().parent / "data" / "qa_heldout.json"
# Measured by bench/bench_qa.py (docs/portal-qa.md records it): zh 0.85, en 0.75 top-1 with every
# off-topic question left unanswered; the floors leave a question or two of slack.
TOP1_FLOOR = {"zh": 0.8, "en": 0.7}
NO_ANSWER_RECALL_FLOOR = 0.9


@pytest.fixture(scope="module")
def report() -> Report:
    corpus, slugs = seed_corpus()
    return evaluate(corpus, slugs, load_held_set(HELD_SET))


def test_held_set_is_large_enough_and_names_seed_articles() -> None:
    held = load_held_set(HELD_SET)
    slugs = {entry["slug"] for entry in seed_entries()}
    for language in ("zh", "en"):
        answerable = [q for q in held if q.language == language and q.expect]
        assert len(answerable) >= 20, language
        assert sum(not q.expect for q in held if q.language == language) >= 4, language
    assert {slug for q in held for slug in q.expect} <= slugs
    # Paraphrases, not the titles themselves.
    titles = {e["title_en"].lower() for e in seed_entries()} | {
        e["title_zh"] for e in seed_entries()
    }
    assert not [q.question for q in held if q.question.lower() in titles]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_top1_accuracy_stays_above_its_floor(report: Report, language: str) -> None:
    assert report.top1(language) >= TOP1_FLOOR[language], [
        (o.held.question, o.answered_slug) for o in report.wrong()
    ]


def test_off_topic_questions_are_left_unanswered(report: Report) -> None:
    assert report.no_answer_recall() >= NO_ANSWER_RECALL_FLOOR
    # Answering nothing would pass the recall: most questions must get an answer.
    answered = sum(o.answered_slug is not None for o in report.outcomes if o.held.expect)
    assert answered / sum(bool(o.held.expect) for o in report.outcomes) >= 0.75


def test_english_tokens_are_stemmed_without_stop_words() -> None:
    assert tokens_en("What are the symptoms? Should I get vaccinated?") == ["symptom", "vaccin"]
    assert stem("vaccines") == stem("vaccination") == "vaccin"
    assert stem("viruses") == stem("virus") == "virus"


def test_chinese_tokens_are_words_and_their_characters() -> None:
    found = tokens_zh("戴口罩能预防新冠吗？")
    assert "口罩" in found and "预防" in found and "罩" in found
    assert not {"吗", "能", "？"} & set(found)


def test_sentences_split_at_sentence_ends_in_each_language() -> None:
    assert sentences("第一句。第二句！第三句", "zh") == ["第一句。", "第二句！", "第三句"]
    assert sentences("One. Two? Three", "en") == ["One.", "Two?", "Three"]


def test_questions_without_substance_get_no_answer() -> None:
    corpus, _slugs = seed_corpus()
    for question, language in (
        ("what is it?", "en"),  # stop words only
        ("people", "en"),  # a word most articles use: no arbitrary pick
        ("这是什么？", "zh"),
    ):
        hits = corpus.indexes[language].search(question, limit=1)
        assert not hits or not hits[0].is_answer, question
    empty = build_index([])
    assert empty.indexes["en"].search("garlic", limit=1) == []
