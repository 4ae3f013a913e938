"""The Q&A answers from published articles only, cites them, says when it has no good answer,
follows publication and withdrawal, and refuses bad input."""

from __future__ import annotations

import logging
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epicontrol.portal import qa
from epicontrol.portal.qa_routes import QuestionRedactingFilter
from tests.factories import City, login

GARLIC = {
    "kind": "rumor",
    "title_zh": "吃大蒜可以预防新冠病毒感染",
    "title_en": "Eating garlic prevents infection with the new coronavirus",
    "body_zh": "没有证据表明吃大蒜能防止感染新冠病毒。大蒜是一种健康食品。\n\n"
    "预防感染靠的是戴口罩、勤洗手、保持距离。",
    "body_en": "There is no evidence that eating garlic protects people from the new coronavirus. "
    "Garlic is a healthy food.\n\nWhat prevents infection is wearing a mask, washing your "
    "hands and keeping your distance.",
    "source": "世界卫生组织 WHO",
}
INCUBATION = {
    "kind": "fact",
    "title_zh": "新冠肺炎的潜伏期有多长？",
    "title_en": "How long is the incubation period of COVID-19?",
    "body_zh": "潜伏期是指从感染病毒到出现症状的时间。目前估计潜伏期为1至14天，多为3至7天。\n\n"
    "因此密切接触者需要隔离医学观察14天。",
    "body_en": "The incubation period is the time between catching the virus and the first "
    "symptoms. It is estimated at 1 to 14 days, most often 3 to 7 days.\n\nThis is why close "
    "contacts are observed in quarantine for 14 days.",
    "source": "国家卫生健康委员会 NHC",
}
# A draft whose words must never answer: nothing published mentions bananas.
BANANA_DRAFT = {
    "kind": "rumor",
    "title_zh": "吃香蕉能治好新冠肺炎",
    "title_en": "Bananas cure COVID-19",
    "body_zh": "香蕉草稿，尚未审核。",
    "body_en": "A banana draft nobody has reviewed yet.",
    "source": "draft",
}


Staff = tuple[dict[str, str], dict[str, str]]


def _staff(client: TestClient) -> Staff:
    """Bearer headers of an officer who drafts and a commander who publishes."""
    return login(client, "officer_m1"), login(client, "commander")


def _publish(client: TestClient, staff: Staff, article: dict[str, Any]) -> int:
    officer, commander = staff
    created = client.post("/api/articles", json=article, headers=officer)
    assert created.status_code == 201, created.text
    article_id = int(created.json()["id"])
    client.post(f"/api/articles/{article_id}/submit", headers=officer)
    published = client.post(f"/api/articles/{article_id}/publish", headers=commander)
    assert published.status_code == 200, published.text
    return article_id


def _ask(client: TestClient, question: str, lang: str) -> dict[str, Any]:
    response = client.get("/api/public/qa", params={"q": question, "lang": lang})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_answers_cite_the_right_article_and_off_topic_gets_no_good_answer(
    client: TestClient, db: Session, city: City
) -> None:
    staff = _staff(client)
    garlic = _publish(client, staff, GARLIC)
    incubation = _publish(client, staff, INCUBATION)

    en = _ask(client, "how many days between infection and symptoms", "en")
    assert en["found"] is True
    assert en["citation"]["article_id"] == incubation
    assert en["citation"]["url"] == f"/public/articles/{incubation}"
    assert en["citation"]["kind"] == "fact"
    assert en["citation"]["source"] == "国家卫生健康委员会 NHC"
    assert en["citation"]["published_at"] and en["citation"]["published_on"]
    assert en["citation"]["title"] == INCUBATION["title_en"]
    # The passage is the answering sentence(s), not the whole body.
    assert "1 to 14 days" in en["answer"] and "quarantine" not in en["answer"]

    zh = _ask(client, "多吃大蒜真的能防病毒吗", "zh")
    assert zh["found"] is True and zh["citation"]["article_id"] == garlic
    assert zh["citation"]["title"] == GARLIC["title_zh"] and zh["citation"]["kind"] == "rumor"
    assert zh["answer"].startswith("没有证据表明吃大蒜") and "勤洗手" not in zh["answer"]

    # Without lang= the API answers in the request's language, like the pages.
    browser_zh = client.get(
        "/api/public/qa", params={"q": "大蒜能预防感染吗"}, headers={"Accept-Language": "zh-CN"}
    ).json()
    assert browser_zh["language"] == "zh" and browser_zh["citation"]["article_id"] == garlic

    for question, lang in (
        ("how do I renew my passport", "en"),
        ("what's the weather tomorrow", "en"),
        ("明天天气怎么样", "zh"),
        ("推荐一家好吃的火锅店", "zh"),
    ):
        got = _ask(client, question, lang)
        assert got["found"] is False, (question, got)
        assert got["answer"] is None and got["citation"] is None
        assert "/public/facts" in got["see_instead"] and "tel:12320" in got["see_instead"]

    # The page: the question box, then the cited answer or "no good answer", per language.
    blank = client.get("/public/qa?lang=en")
    assert blank.status_code == 200 and 'id="qa-form"' in blank.text
    assert 'id="qa-answer"' not in blank.text and 'id="qa-none"' not in blank.text
    page = client.get("/public/qa", params={"q": "does garlic prevent infection", "lang": "en"})
    assert page.status_code == 200 and page.headers["cache-control"] == "public, max-age=60"
    assert page.headers["vary"] == "Accept-Language, Cookie"
    assert f'href="/public/articles/{garlic}"' in page.text
    assert GARLIC["title_en"] in page.text and "Rumor rebuttal" in page.text
    none = client.get("/public/qa", params={"q": "火锅店推荐", "lang": "zh"})
    assert "暂时没有找到这个问题的可靠答案" in none.text and 'href="tel:12320"' in none.text


def test_only_published_articles_answer_and_the_index_follows_publication(
    client: TestClient, db: Session, city: City
) -> None:
    staff = _staff(client)
    draft = client.post("/api/articles", json=BANANA_DRAFT, headers=staff[0])
    assert draft.status_code == 201
    # With nothing published, even the draft's own title finds nothing.
    assert _ask(client, "Do bananas cure COVID-19?", "en")["found"] is False
    assert _ask(client, "吃香蕉能治好新冠吗", "zh")["found"] is False

    builds = qa.INDEXES.builds
    garlic = _publish(client, staff, GARLIC)
    assert _ask(client, "does garlic protect me", "en")["citation"]["article_id"] == garlic
    assert _ask(client, "大蒜能预防感染吗", "zh")["citation"]["article_id"] == garlic
    assert _ask(client, "is garlic healthy", "en")["found"] is True
    assert qa.INDEXES.builds == builds + 1  # once for the new published set, not per question
    assert _ask(client, "Do bananas cure COVID-19?", "en")["found"] is False

    withdrawn = client.post(
        f"/api/articles/{garlic}/withdraw", json={"note": "out of date"}, headers=staff[1]
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert _ask(client, "does garlic protect me", "en")["found"] is False
    assert qa.INDEXES.builds == builds + 2


def test_bad_questions_are_refused_with_a_message(client: TestClient) -> None:
    too_long = "大蒜" * (qa.MAX_QUESTION_CHARS // 2 + 1)
    for params, status in (
        ({"q": too_long, "lang": "zh"}, 422),
        ({"q": "   ", "lang": "en"}, 422),
        ({"q": "garlic", "lang": "fr"}, 422),
        ({"lang": "en"}, 422),
        ({"q": "x" * (qa.MAX_QUESTION_CHARS * 2 + 1)}, 422),
    ):
        response = client.get("/api/public/qa", params=params)
        assert response.status_code == status, (params, response.text)
        assert response.json()["detail"]
    refused = client.get("/api/public/qa", params={"q": too_long, "lang": "zh"}).json()
    assert refused["detail"] == f"问题请不要超过 {qa.MAX_QUESTION_CHARS} 个字。"

    page = client.get("/public/qa", params={"q": "garlic " * 40, "lang": "en"})
    assert page.status_code == 422
    assert f"Please shorten your question to {qa.MAX_QUESTION_CHARS} characters" in page.text


def test_questions_are_kept_out_of_the_access_log() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.7:5123", "GET", "/api/public/qa?q=my%20fever&lang=en", "1.1", 200),
        None,
    )
    assert QuestionRedactingFilter().filter(record) is True
    line = record.getMessage()
    assert "fever" not in line and "/api/public/qa?[question withheld]" in line
    other = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s %s %s", ("a", "GET", "/x?q=1"), None
    )
    QuestionRedactingFilter().filter(other)
    assert other.getMessage() == "a GET /x?q=1"
