"""Errors the services raise; the web layer turns each into a clear 4xx."""

from __future__ import annotations


class EpicontrolError(Exception):
    """Base of every expected error; carries a message meant for the user."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(EpicontrolError):
    """The request is malformed or breaks a rule (400/422)."""

    status_code = 422


class NotFound(EpicontrolError):
    """The record does not exist or is not visible to the caller."""

    status_code = 404


class Conflict(EpicontrolError):
    """The request clashes with stored data (a duplicate, say)."""

    status_code = 409


class NotAuthenticated(EpicontrolError):
    """No valid session or token."""

    status_code = 401


class AccessDenied(EpicontrolError):
    """The caller's role or division scope does not allow this; always audited."""

    status_code = 403

    def __init__(
        self, message: str, *, action: str, entity: str, entity_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.action = action
        self.entity = entity
        self.entity_id = entity_id
