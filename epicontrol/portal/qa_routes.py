"""Intelligent Q&A: the public page and its JSON API (services in qa.py)."""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from epicontrol.core.deps import DbSession
from epicontrol.core.errors import InvalidInput
from epicontrol.core.i18n import current_language
from epicontrol.portal import qa
from epicontrol.portal.qa_schemas import AnswerOut
from epicontrol.reports.rules import HEALTH_HOTLINE
from epicontrol.web.templating import render

router = APIRouter()

# Where to look when there is no good answer: the article lists and the health hotline.
SEE_INSTEAD = ["/public/facts", "/public/rumors", "/public/releases", f"tel:{HEALTH_HOTLINE}"]
# Answers change only when an article is published or withdrawn: a minute of caching lets a
# rush of the same question be served by caches in front of us. Without ?lang= the language
# comes from the cookie or the browser, so a shared cache must keep the languages apart.
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60", "Vary": "Accept-Language, Cookie"}
# Limits checked by FastAPI before the service (which checks the stripped text again).
Question = Annotated[str, Query(max_length=qa.MAX_QUESTION_CHARS * 2)]
Language = Annotated[str | None, Query(pattern="^(zh|en)$")]


@router.get("/api/public/qa", tags=["portal"])
def ask(db: DbSession, response: Response, q: Question, lang: Language = None) -> AnswerOut:
    """The answer to a question from the published articles, cited, or `found: false`."""
    found = qa.answer(db, q, lang or current_language())
    response.headers.update(PUBLIC_CACHE)
    return AnswerOut.of(found, SEE_INSTEAD)


@router.get("/public/qa", include_in_schema=False)
def qa_page(request: Request, db: DbSession, q: str = "") -> Response:
    """A question box; with a question, its answer and citation or "no good answer"."""
    answer, error = None, None
    if q.strip():
        try:
            answer = qa.answer(db, q, current_language())
        except InvalidInput as problem:
            error = problem.message
    context = {
        "question": q[: qa.MAX_QUESTION_CHARS * 2],
        "answer": answer,
        "error": error,
        "max_chars": qa.MAX_QUESTION_CHARS,
        "hotline": HEALTH_HOTLINE,
    }
    response = render(request, "portal_qa.html", context, status_code=422 if error else 200)
    response.headers.update(PUBLIC_CACHE)
    return response


class QuestionRedactingFilter(logging.Filter):
    """Keeps questions out of the access log: the log line has the client's address, and a
    question beside an address would tie what someone asked to them."""

    PATHS = re.compile(r"^(/api/public/qa|/public/qa)\?.*$")

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn's access record: (client address, method, path with query, version, status)
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            redacted = self.PATHS.sub(r"\1?[question withheld]", args[2])
            if redacted != args[2]:
                record.args = (*args[:2], redacted, *args[3:])
        return True


def _install_filter() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QuestionRedactingFilter) for f in access.filters):
        access.addFilter(QuestionRedactingFilter())


_install_filter()
