"""The Q&A's search index: BM25 over published articles, one index per language, titles weighted
above bodies, and the rule that says when the best match is no answer at all."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from rank_bm25 import BM25Okapi
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from epicontrol.portal.qa_text import sentences, tokens, unique

# A title states what the article is about in a few words; a match there is worth more than
# one in a long body (tuned on the held-out questions' dev half: bench/bench_qa.py --sweep).
TITLE_WEIGHT = 1.5
# "No good answer" rule: BM25 scores are not comparable across questions (they grow with the
# question's length and the corpus), so the decision rests on coverage instead: the share of
# the question's information (the idf of each distinct question term, a term no article uses
# counting as the rarest) that the best article contains. Below the language's minimum the
# article shares too little with the question ("how do I renew my passport" has nothing but
# unknown words; "can my cat learn to play the piano" shares only "cat" with the pets rumor):
# we say we have no good answer rather than guess. Chinese questions carry their characters as
# extra terms (qa_text.tokens_zh), which most articles share, hence a different scale.
# Calibrated on the dev half of tests/portal/data/qa_heldout.json (bench/bench_qa.py --sweep).
MIN_COVERAGE = {"zh": 0.3, "en": 0.3}
# ... and what the question shares with the article must weigh at least a quarter of one term
# found in no article (the largest idf there is), so that a one-word question on a term most
# articles use ("covid") gets no arbitrary pick. Relative, because idf shrinks with the corpus:
# with one published article, every term in it has idf 0.29 and an unknown one 1.39.
MIN_MATCHED_SHARE = 0.25
# An unknown English word one edit away from an indexed word with the same first letter is read
# as that word (users type "vacine", "symptons"); two edits from eight letters on. Wider rules
# turned "dinner" into "finger" and "again" into "pain".
TYPO_MIN_LENGTH = 5
TYPO_TWO_EDITS_LENGTH = 8
# The answer passage: the best sentence, with the next ones of its paragraph while it is short.
PASSAGE_MIN_CHARS = {"zh": 30, "en": 90}


class _LuceneBM25(BM25Okapi):
    """BM25 with Lucene's idf, log(1 + (N - df + 0.5) / (df + 0.5)): always positive, so a
    handful of articles (a new deployment, a test) still ranks sensibly; Okapi's idf goes
    negative for a term in more than half of them."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))


@dataclass(frozen=True)
class Document:
    """What the index needs of one article in one language."""

    article_id: int
    title: str
    body: str


@dataclass(frozen=True)
class Hit:
    """The best article for a question: its score, its coverage and the passage that answers."""

    article_id: int
    score: float
    coverage: float
    passage: str
    is_answer: bool


@dataclass
class LanguageIndex:
    """BM25 over the titles and over the bodies of one language's documents."""

    language: str
    documents: Sequence[Document]
    _titles: list[list[str]] = field(init=False)
    _bodies: list[list[str]] = field(init=False)
    _idf: dict[str, float] = field(init=False)
    _title_bm25: _LuceneBM25 | None = field(init=False, default=None)
    _body_bm25: _LuceneBM25 | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._titles = [tokens(doc.title, self.language) for doc in self.documents]
        self._bodies = [tokens(doc.body, self.language) for doc in self.documents]
        self._idf = _document_idf(self._titles, self._bodies)
        if self.documents:
            # rank_bm25 divides by the mean length: an empty field still counts one token.
            self._title_bm25 = _LuceneBM25([t or [""] for t in self._titles])
            self._body_bm25 = _LuceneBM25([b or [""] for b in self._bodies])

    def query_terms(self, question: str) -> list[str]:
        """The question's distinct terms, English typos read as the nearest indexed word."""
        terms = unique(tokens(question, self.language))
        if self.language != "en" or not self._idf:
            return terms
        return unique(self._correct(term) for term in terms)

    def _correct(self, term: str) -> str:
        if term in self._idf or len(term) < TYPO_MIN_LENGTH:
            return term
        allowed = 2 if len(term) >= TYPO_TWO_EDITS_LENGTH else 1
        candidates = [word for word in self._idf if word[:1] == term[:1]]
        match = process.extractOne(
            term, candidates, scorer=Levenshtein.distance, score_cutoff=allowed
        )
        return str(match[0]) if match else term

    def search(self, question: str, *, limit: int = 3) -> list[Hit]:
        """The best `limit` articles for `question`, best first (none without articles)."""
        terms = self.query_terms(question)
        if not terms or self._title_bm25 is None or self._body_bm25 is None:
            return []
        scores = TITLE_WEIGHT * self._title_bm25.get_scores(terms) + self._body_bm25.get_scores(
            terms
        )
        ranked = sorted(range(len(self.documents)), key=lambda i: (-scores[i], i))[:limit]
        return [self._hit(i, float(scores[i]), terms) for i in ranked if scores[i] > 0]

    def _hit(self, position: int, score: float, terms: list[str]) -> Hit:
        present = set(self._titles[position]) | set(self._bodies[position])
        unknown_idf = math.log(1 + (len(self.documents) + 0.5) / 0.5)  # df = 0
        total = sum(self._idf.get(term, unknown_idf) for term in terms)
        matched = sum(self._idf[term] for term in terms if term in present)
        coverage = matched / total if total else 0.0
        document = self.documents[position]
        return Hit(
            article_id=document.article_id,
            score=score,
            coverage=coverage,
            passage=self.passage(document, terms),
            is_answer=coverage >= MIN_COVERAGE[self.language]
            and matched >= MIN_MATCHED_SHARE * unknown_idf,
        )

    def passage(self, document: Document, terms: list[str]) -> str:
        """The sentence of the body sharing most idf with the question (the first on a tie),
        followed by the next ones of its paragraph while the passage is short."""
        parts = [
            (number, sentence)
            for number, paragraph in enumerate(document.body.split("\n\n"))
            for sentence in sentences(paragraph, self.language)
        ]
        if not parts:
            return document.body.strip()
        wanted = set(terms)
        weights = [
            sum(self._idf.get(t, 0.0) for t in set(tokens(text, self.language)) & wanted)
            for _number, text in parts
        ]
        best = max(range(len(parts)), key=lambda i: (weights[i], -i))
        paragraph = parts[best][0]
        chosen = [parts[best][1]]
        glue = "" if self.language == "zh" else " "
        for number, following in parts[best + 1 :]:
            if number != paragraph or len(glue.join(chosen)) >= PASSAGE_MIN_CHARS[self.language]:
                break
            chosen.append(following)
        return glue.join(chosen)


def _document_idf(titles: list[list[str]], bodies: list[list[str]]) -> dict[str, float]:
    """Lucene's idf of each term over whole articles (title and body together)."""
    count = len(titles)
    frequency: dict[str, int] = {}
    for title, body in zip(titles, bodies, strict=True):
        for term in set(title) | set(body):
            frequency[term] = frequency.get(term, 0) + 1
    return {
        term: math.log(1 + (count - freq + 0.5) / (freq + 0.5)) for term, freq in frequency.items()
    }
