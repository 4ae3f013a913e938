"""Public-page translations: English message ids, Chinese catalogues, a language per request.

Strings are written in English in the code and templates (`_("Fever clinics")`); each domain
keeps the Chinese for its own strings in `<domain>/locale/zh/<topic>.po`, all of which are read
once and merged. A request's language comes from `?lang=`, then the `lang` cookie, then
Accept-Language, then the deployment's default (Chinese); `LanguageMiddleware` sets it for the
request and remembers an explicit choice in the cookie.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
SOURCE_LANGUAGE = "en"  # the language the message ids are written in
COOKIE = "lang"
PACKAGE_DIR = Path(__file__).resolve().parent.parent

_language: ContextVar[str] = ContextVar("epicontrol_language", default=DEFAULT_LANGUAGE)


def catalogue_files(language: str) -> list[Path]:
    """Every `.po` file of `language` in the package, in a stable order."""
    return sorted(PACKAGE_DIR.glob(f"*/locale/{language}/*.po"))


@cache
def catalogue(language: str) -> dict[str, str | tuple[str, ...]]:
    """Message id -> translation (a tuple of plural forms for plural messages) of `language`."""
    messages: dict[str, str | tuple[str, ...]] = {}
    for path in catalogue_files(language):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if not message.id or message.fuzzy:
                    continue
                key = str(message.id[0] if isinstance(message.id, tuple) else message.id)
                if isinstance(message.string, tuple | list):
                    if all(message.string):
                        messages[key] = tuple(str(form) for form in message.string)
                elif message.string:
                    messages[key] = str(message.string)
    return messages


def current_language() -> str:
    """The language of the request being handled ("zh" or "en")."""
    return _language.get()


def translate(message: str) -> str:
    """`message` in the current language, placeholders left alone (Jinja fills them)."""
    if current_language() == SOURCE_LANGUAGE:
        return message
    found = catalogue(current_language()).get(message)
    return found if isinstance(found, str) else message


def translate_plural(singular: str, plural: str, n: int) -> str:
    """The form of `singular`/`plural` for `n` in the current language, placeholders left alone."""
    text = singular if n == 1 else plural
    if current_language() != SOURCE_LANGUAGE:
        found = catalogue(current_language()).get(singular)
        if isinstance(found, tuple):
            text = found[0] if len(found) == 1 or n == 1 else found[1]
        elif isinstance(found, str):
            text = found
    return text


def gettext(message: str, **values: object) -> str:
    """`message` in the current language, with `%(name)s` placeholders filled from `values`."""
    text = translate(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """The singular or plural form for `n`; `%(num)s` is `n` (Chinese has one form)."""
    return translate_plural(singular, plural, n) % {"num": n, **values}


_ = gettext


@contextmanager
def language(code: str) -> Iterator[None]:
    """Run a block in `code` (tests, the CLI, background jobs)."""
    token = _language.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


def choose(query_lang: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The request's language: explicit choice, remembered choice, browser's preference."""
    for candidate in (query_lang, cookie):
        if candidate is not None and candidate in LANGUAGES:
            return candidate
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def _query_lang(query_string: bytes) -> str | None:
    if b"lang=" not in query_string:  # most requests: no need to split anything
        return None
    for pair in query_string.decode("latin-1").split("&"):
        name, _sep, value = pair.partition("=")
        if name == "lang":
            return value
    return None


def _cookie(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    cookie = accept = None
    for name, value in headers:
        if name == b"cookie":
            for item in value.decode("latin-1").split(";"):
                key, _sep, val = item.strip().partition("=")
                if key == COOKIE:
                    cookie = val
        elif name == b"accept-language":
            accept = value.decode("latin-1")
    return cookie, accept


def scope_language(scope: Scope) -> str:
    """The language LanguageMiddleware chose for this request (worked out again if it did not)."""
    chosen = scope.get("state", {}).get("language")
    return chosen if isinstance(chosen, str) else request_language(scope)[0]


def request_language(scope: Scope) -> tuple[str, bool]:
    """The language of an HTTP request and whether it was chosen explicitly (`?lang=`)."""
    asked = _query_lang(scope.get("query_string", b""))
    cookie, accept = _cookie(scope.get("headers", []))
    return choose(asked, cookie, accept), asked in LANGUAGES


class LanguageMiddleware:
    """Sets the language of each HTTP request; `?lang=` is remembered in a cookie for a year."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        code, explicit = request_language(scope)
        token = _language.set(code)
        scope.setdefault("state", {})["language"] = code

        async def remember(message: Message) -> None:
            if explicit and message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append(
                    "set-cookie", f"{COOKIE}={code}; Path=/; Max-Age=31536000; SameSite=Lax"
                )
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            _language.reset(token)
