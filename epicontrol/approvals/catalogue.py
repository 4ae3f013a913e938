"""The catalogue of approval items: versions on every edit, listing, and the JSON import."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from epicontrol.approvals.models import ApprovalItem, ApprovalItemVersion
from epicontrol.approvals.schemas import ItemDefinition, ItemIn
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import InvalidInput, NotFound

_ITEMS = TypeAdapter(list[ItemIn])


@dataclass(frozen=True, slots=True)
class Entry:
    """An item with its latest version, for lists."""

    item: ApprovalItem
    version: ApprovalItemVersion

    @property
    def definition(self) -> ItemDefinition:
        return ItemDefinition.model_validate(self.version.definition)


def definition_of(version: ApprovalItemVersion) -> ItemDefinition:
    """The stored definition of a version, as the schema it was saved with."""
    return ItemDefinition.model_validate(version.definition)


def _latest_versions() -> Subquery:
    return (
        select(ApprovalItemVersion.item_id, func.max(ApprovalItemVersion.version).label("latest"))
        .group_by(ApprovalItemVersion.item_id)
        .subquery()
    )


def entries(db: Session, *, active_only: bool = True) -> list[Entry]:
    """Every item with its latest version, by code."""
    latest = _latest_versions()
    query = (
        select(ApprovalItem, ApprovalItemVersion)
        .join(latest, latest.c.item_id == ApprovalItem.id)
        .join(
            ApprovalItemVersion,
            (ApprovalItemVersion.item_id == ApprovalItem.id)
            & (ApprovalItemVersion.version == latest.c.latest),
        )
        .order_by(ApprovalItem.code)
    )
    if active_only:
        query = query.where(ApprovalItem.is_active.is_(True))
    return [Entry(item, version) for item, version in db.execute(query)]


def latest(db: Session, *, code: str) -> Entry:
    """An active item's latest version, or 404."""
    item = db.scalar(select(ApprovalItem).where(ApprovalItem.code == code))
    if item is None or not item.is_active:
        raise NotFound(f"no approval item {code!r}")
    version = db.scalar(
        select(ApprovalItemVersion)
        .where(ApprovalItemVersion.item_id == item.id)
        .order_by(ApprovalItemVersion.version.desc())
        .limit(1)
    )
    if version is None:
        raise NotFound(f"approval item {code!r} has no version")
    return Entry(item, version)


def _same(version: ApprovalItemVersion, data: ItemIn) -> bool:
    return (
        version.name_zh == data.name_zh
        and version.name_en == data.name_en
        and version.department == data.department
        and version.description == data.description
        and version.time_limit_days == data.time_limit_days
        and version.definition == data.definition.model_dump(mode="json")
    )


def save(db: Session, *, data: ItemIn, actor: Principal | None) -> tuple[ApprovalItemVersion, bool]:
    """Store `data` as the item's next version (the first for a new code); an unchanged
    definition adds nothing. Returns the latest version and whether it is new."""
    item = db.scalar(select(ApprovalItem).where(ApprovalItem.code == data.code))
    number = 1
    if item is None:
        item = ApprovalItem(code=data.code, is_active=True)
        db.add(item)
        db.flush()
    else:
        current = latest(db, code=data.code).version if item.is_active else None
        if current is not None and _same(current, data):
            return current, False
        number = (
            db.scalar(
                select(func.max(ApprovalItemVersion.version)).where(
                    ApprovalItemVersion.item_id == item.id
                )
            )
            or 0
        ) + 1
        item.is_active = True
    version = ApprovalItemVersion(
        item_id=item.id,
        version=number,
        name_zh=data.name_zh,
        name_en=data.name_en,
        department=data.department,
        description=data.description,
        time_limit_days=data.time_limit_days,
        definition=data.definition.model_dump(mode="json"),
        created_by=actor.user_id if actor is not None else None,
    )
    db.add(version)
    db.flush()
    if actor is not None:
        audit.record(
            db,
            actor=actor,
            action="save",
            entity="approval_item",
            entity_id=data.code,
            detail={"version": number},
        )
    return version, True


def parse_items(text: str) -> list[ItemIn]:
    """The items of an import file (a JSON list, or {"items": [...]}), or InvalidInput naming
    the first problems."""
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as bad:
        raise InvalidInput(f"not JSON: {bad}") from None
    if isinstance(loaded, dict):
        loaded = loaded.get("items")
    try:
        items = _ITEMS.validate_python(loaded)
    except ValidationError as bad:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in bad.errors()[:5]
        )
        raise InvalidInput(f"{bad.error_count()} problems, first: {problems}") from None
    codes = [item.code for item in items]
    if len(set(codes)) != len(codes):
        raise InvalidInput("an item code appears twice in the file")
    return items


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    new_versions: int
    unchanged: int


def import_items(db: Session, items: Iterable[ItemIn], *, actor: Principal | str) -> ImportResult:
    """Save every item (the caller commits): new codes, new versions, unchanged ones skipped."""
    created = new_versions = unchanged = 0
    for data in items:
        version, is_new = save(db, data=data, actor=None)
        if not is_new:
            unchanged += 1
        elif version.version == 1:
            created += 1
        else:
            new_versions += 1
    result = ImportResult(created, new_versions, unchanged)
    audit.record(
        db,
        actor=actor,
        action="import",
        entity="approval_item",
        detail={"created": created, "new_versions": new_versions, "unchanged": unchanged},
    )
    return result


def import_file(db: Session, path: Path, *, actor: Principal | str) -> ImportResult:
    """Import a catalogue file (UTF-8 JSON)."""
    return import_items(db, parse_items(path.read_text(encoding="utf-8")), actor=actor)
