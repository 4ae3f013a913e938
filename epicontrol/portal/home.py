"""The functions the portal's home links to, in the order a visitor looks for them."""

from __future__ import annotations

from typing import NamedTuple


class Function(NamedTuple):
    """A link of the home page: where, its title and one line saying what it is for."""

    href: str
    title: str
    summary: str
    needs_login: bool = False


def _(message: str) -> str:
    """Marks `message` for the catalogue (tests/portal/test_translations.py extracts `_()`);
    the page translates it when it is shown, in the visitor's language."""
    return message


FUNCTIONS: tuple[Function, ...] = (
    Function("/public/situation", _("Situation"), _("Local, provincial and national figures")),
    Function("/public/clinics", _("Fever clinics"), _("Designated clinics near you, with hours")),
    Function("/public/estates", _("Affected estates"), _("Housing estates with cases")),
    Function("/public/itineraries", _("Case itineraries"), _("Where confirmed cases had been")),
    Function("/public/releases", _("Releases"), _("Authoritative releases")),
    Function("/public/rumors", _("Rumor rebuttal"), _("Rumors checked against the facts")),
    Function("/public/facts", _("Basic facts"), _("The disease and how to protect yourself")),
    Function("/public/qa", _("Ask a question"), _("Answers from published sources")),
    Function("/public/self-check", _("Fever self-check"), _("Check symptoms, book a consultation")),
    Function("/public/masks", _("Face masks"), _("Reserve masks for your household"), True),
    Function("/public/me/travel", _("My travel record"), _("Where you were, last 14 days"), True),
    Function(
        "/public/me/access-log",
        _("Who accessed my record"),
        _("Which office read your data, and why"),
        True,
    ),
)
