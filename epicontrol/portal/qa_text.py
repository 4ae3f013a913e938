"""Text handling of the Q&A: tokens for retrieval (jieba for Chinese, light stemming for English)
and sentences for the answer passage."""

from __future__ import annotations

import logging
import re
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

# Question words and function words: they say nothing about which article answers, and an
# unknown one would count against the question's overlap with every article (qa_index.py).
_EN_STOP_TEXT = """a about after all also am an and any are as at be been before being but by can
could did do does doing for from get got had has have having he her here him his how i i'm if in
into is it its me my no not of on or our out please should so some tell than that the their them
then there these they this those to too under up us was we were what when where whether which
while who whom why will with would you your yours again now really still just ever even much
many someone anyone something anything thing things way okay ok true"""
_ZH_STOP_TEXT = """的 了 吗 呢 吧 啊 呀 么 是 在 和 与 及 或 就 都 也 还 又 很
有 没 没有 要 会 能 可以 可 应该 需要 需 该 得 地 着 过 把 被 给 对 从 向 到 为
为了 以 于 之 其 这 那 这个 那个 这些 那些
哪 哪些 哪里 哪儿 什么 怎么 怎么办 怎样 如何 怎么样 为什么 多少 几 谁 请问 请 我 我们 你 你们
他 她 它 他们 自己 大家 如果 是否 是不是 不是 一个 一下 一些 现在 真的 真 听说 网上 说 问
这是 那是 就是 还是 可是 但是 但 而 而且 因为 所以"""
EN_STOP_WORDS = frozenset(_EN_STOP_TEXT.split())
# Everyday words residents use for what the articles name otherwise (British/American, plain
# and official words), read as the articles' word in questions and articles alike. A general
# list, not one per question: each entry names a thing the articles are about.
EN_SYNONYMS = {
    "subway": "metro",
    "underground": "metro",
    "tube": "metro",
    "transmit": "spread",
    "transmitted": "spread",
    "transmission": "spread",
    "contagious": "spread",
    "groceries": "food",
    "grocery": "food",
    "shower": "bath",
    "jab": "vaccine",
    "shot": "vaccine",
    "immunization": "vaccine",
    "kids": "children",
    "kid": "children",
    "pupils": "students",
    "workplace": "work",
    "job": "work",
    "cost": "pay",
    "costs": "pay",
    "bill": "pay",
    "fee": "pay",
    "sanitiser": "sanitizer",
    "disinfectant": "disinfect",
    "meters": "metre",
    "meter": "metre",
    "apartment": "home",
    "flat": "home",
    "house": "home",
    "corona": "coronavirus",
}
ZH_STOP_WORDS = frozenset(_ZH_STOP_TEXT.split())
_EN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE_END = {
    "zh": re.compile(r"(?<=[。！？；!?;])|\n+"),
    "en": re.compile(r"(?<=[.!?;])\s+|\n+"),
}
# Derivational and inflexional endings, longest first, then a final "e": enough for one city's
# articles ("vaccine", "vaccinated", "vaccination" -> "vaccin"; "masks" -> "mask").
_SUFFIXES = (
    "ations",
    "ation",
    "ating",
    "ated",
    "ates",
    "ions",
    "ion",
    "ies",
    "ing",
    "ed",
    "es",
    "s",
)
_KEEP_FINAL_S = ("us", "ss", "is")  # "virus", "less", "analysis"

_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba() -> ModuleType:
    """jieba, initialised once: its dictionary cache in a temporary folder (not the working
    directory or /tmp's shared name), its start-up chatter silenced."""
    global _jieba_ready
    import jieba

    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(logging.WARNING)
            cache = Path(tempfile.gettempdir()) / "epicontrol-jieba"
            cache.mkdir(exist_ok=True)
            jieba.dt.tmp_dir = str(cache)
            jieba.initialize()
            _jieba_ready = True
    return jieba


def warm_up() -> None:
    """Load jieba's dictionary now (1-2 s) rather than on a server's first question."""
    _jieba()


def stem(word: str) -> str:
    """A light English stem: "symptoms" -> "symptom", "vaccinated" -> "vaccin", "flies" -> "fly"."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        base = word[: -len(suffix)]
        if word.endswith(suffix) and len(base) >= 3:
            if suffix == "s" and word.endswith(_KEEP_FINAL_S):
                continue
            word = base + "y" if suffix == "ies" else base
            break
    return word[:-1] if word.endswith("e") and len(word) >= 4 else word


def tokens_en(text: str) -> list[str]:
    """Lower-cased, stemmed English words without stop words, synonyms read as one."""
    words = _EN_WORD.findall(text.lower())
    return [stem(EN_SYNONYMS.get(word, word)) for word in words if word not in EN_STOP_WORDS]


def tokens_zh(text: str) -> list[str]:
    """jieba's search-mode words (long words and their parts), then the single characters of
    the Chinese ones, without stop words and punctuation: a question segmented differently
    from the article ("发热门珍", "上能活") still meets it on characters, which weigh little
    as each is common. Latin words and numbers in a Chinese text are handled as in English."""
    words: list[str] = []
    for word in _jieba().cut_for_search(text.lower()):
        word = word.strip()
        if not word or word in ZH_STOP_WORDS:
            continue
        if _HAS_CJK.search(word):
            words.append(word)
        else:
            words.extend(tokens_en(word))
    characters = [
        char
        for word in words
        if len(word) > 1 and _HAS_CJK.search(word)
        for char in word
        if char not in ZH_STOP_WORDS and _HAS_CJK.match(char)
    ]
    return words + characters


def tokens(text: str, language: str) -> list[str]:
    """The retrieval tokens of `text` in `language` ("zh" or "en")."""
    return tokens_zh(text) if language == "zh" else tokens_en(text)


def sentences(text: str, language: str) -> list[str]:
    """The sentences of `text`, stripped, empty ones dropped."""
    parts = _SENTENCE_END[language].split(text)
    return [part.strip() for part in parts if part and part.strip()]


def unique(items: Iterable[str]) -> list[str]:
    """`items` without repeats, first occurrences in order."""
    return list(dict.fromkeys(items))
