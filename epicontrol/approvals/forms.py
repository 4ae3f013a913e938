"""Server-side validation of an application's answers against its item version's form."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date

from epicontrol.approvals.schemas import FieldKind, FormField, ItemDefinition
from epicontrol.core.crypto import mask_id_number, parse_resident_id
from epicontrol.core.errors import EpicontrolError, InvalidInput

Answers = dict[str, str | float]


class InvalidFields(InvalidInput):
    """422 with a message per field that failed; nothing is stored."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def validate(definition: ItemDefinition, raw: Mapping[str, object]) -> Answers:
    """The cleaned answers, or InvalidFields naming every field that is wrong."""
    clean: Answers = {}
    errors: dict[str, str] = {}
    for field in definition.fields:
        value = raw.get(field.name)
        text = "" if value is None else str(value).strip()
        if not text:
            if field.required:
                errors[field.name] = "required"
            continue
        try:
            clean[field.name] = _clean(field, text)
        except ValueError as bad:
            errors[field.name] = str(bad)
    unknown = sorted(set(raw) - {f.name for f in definition.fields})
    for name in unknown:
        errors[name] = "not a field of this form"
    if errors:
        raise InvalidFields(errors)
    return clean


def _clean(field: FormField, text: str) -> str | float:
    if field.kind == FieldKind.TEXT:
        if len(text) > field.max_length:
            raise ValueError(f"at most {field.max_length} characters")
        return text
    if field.kind == FieldKind.NUMBER:
        return _number(field, text)
    if field.kind == FieldKind.DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("not a date (YYYY-MM-DD)") from None
    if field.kind == FieldKind.CHOICE:
        if text not in {option.value for option in field.options}:
            raise ValueError("not one of the choices")
        return text
    try:
        return parse_resident_id(text).number
    except EpicontrolError as bad:
        raise ValueError(bad.message) from None


def _number(field: FormField, text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(number):
        raise ValueError("not a number")
    if field.minimum is not None and number < field.minimum:
        raise ValueError(f"at least {field.minimum:g}")
    if field.maximum is not None and number > field.maximum:
        raise ValueError(f"at most {field.maximum:g}")
    return number


def bilingual(zh: str, en: str) -> str:
    """A label in both languages (staff pages, the certificate)."""
    return f"{zh} {en}"


def shown(
    definition: ItemDefinition,
    answers: Mapping[str, str | float],
    label: Callable[[str, str], str] = bilingual,
) -> list[tuple[str, str]]:
    """(field label, value) for pages: ID numbers masked, choices by their label."""
    rows = []
    for field in definition.fields:
        value = answers.get(field.name)
        if value is None:
            continue
        if field.kind == FieldKind.ID_NUMBER:
            text = mask_id_number(str(value))
        elif field.kind == FieldKind.CHOICE:
            labels = {o.value: label(o.label_zh, o.label_en) for o in field.options}
            text = labels.get(str(value), str(value))
        elif field.kind == FieldKind.NUMBER and float(value).is_integer():
            text = str(int(float(value)))
        else:
            text = str(value)
        rows.append((label(field.label_zh, field.label_en), text))
    return rows
