"""Sellers: found (fuzzy, within a division) or created when a report names them, read within
an inspector's scope, and merged when two rows turn out to be one shop."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.divisions.models import Division
from epicontrol.market import rules
from epicontrol.market.models import MarketCase, MarketReport, MarketSeller, SellerKind
from epicontrol.places.models import Place

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class SellerNamed:
    """A seller as a report names it."""

    name: str
    kind: SellerKind
    division_id: int
    address: str = ""
    licence_number: str | None = None
    place_id: int | None = None


def normalised(name: str) -> str:
    """A name for comparison: full-width folded (NFKC), lower case, no spaces or punctuation."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", name)).lower()


def find_or_create(db: Session, *, named: SellerNamed) -> tuple[MarketSeller, bool]:
    """The seller of the division whose name matches best (rules.SAME_SELLER_SCORE), else a new
    one; returns it and whether it was created."""
    name = named.name.strip()
    if not name:
        raise InvalidInput("name the seller")
    licence = (named.licence_number or "").strip().upper() or None
    if licence and (problem := rules.licence_problem(licence)):
        raise InvalidInput(problem)
    if db.get(Division, named.division_id) is None:
        raise InvalidInput(f"division {named.division_id} does not exist")
    if named.place_id is not None and db.get(Place, named.place_id) is None:
        raise InvalidInput(f"place {named.place_id} does not exist")
    match = _best_match(db, named.division_id, name, licence)
    if match is not None:
        if licence and not match.licence_number:
            match.licence_number = licence
        return match, False
    seller = MarketSeller(
        name=name[:160],
        kind=named.kind.value,
        licence_number=licence,
        address=named.address.strip()[:300],
        division_id=named.division_id,
        place_id=named.place_id,
    )
    db.add(seller)
    db.flush()
    return seller, True


def _best_match(
    db: Session, division_id: int, name: str, licence: str | None
) -> MarketSeller | None:
    candidates = list(
        db.scalars(
            select(MarketSeller).where(
                MarketSeller.division_id == division_id, MarketSeller.merged_into_id.is_(None)
            )
        )
    )
    if licence:
        same = [c for c in candidates if c.licence_number == licence]
        if same:
            return same[0]
    wanted = normalised(name)
    scored = [
        (fuzz.ratio(wanted, normalised(c.name)), -c.id, c)
        for c in candidates
        if not (licence and c.licence_number and c.licence_number != licence)
    ]
    best = max(scored, default=None, key=lambda row: (row[0], row[1]))
    return best[2] if best and best[0] >= rules.SAME_SELLER_SCORE else None


def get_in_scope(db: Session, *, principal: Principal, seller_id: int) -> MarketSeller:
    """A seller of the caller's subtree (a merged one resolves to the seller it went into)."""
    seller = db.get(MarketSeller, seller_id)
    if seller is None:
        raise NotFound(f"seller {seller_id} does not exist")
    while seller.merged_into_id is not None:
        seller = db.get(MarketSeller, seller.merged_into_id) or seller
        if seller.merged_into_id == seller.id:  # pragma: no cover - a loop merge() refuses
            break
    path = db.scalar(select(Division.path).where(Division.id == seller.division_id)) or ""
    if not principal.covers(path):
        raise AccessDenied(
            "this seller is outside your division",
            action="market:inspect",
            entity="market_seller",
            entity_id=str(seller_id),
        )
    return seller


def sellers_for_division(db: Session, *, division_path: str, limit: int = 200) -> list[Any]:
    """(id, name, division name) of the sellers in a subtree, by name: the report form's list."""
    return list(
        db.execute(
            select(MarketSeller.id, MarketSeller.name, Division.name)
            .join(Division, Division.id == MarketSeller.division_id)
            .where(Division.path.startswith(division_path), MarketSeller.merged_into_id.is_(None))
            .order_by(MarketSeller.name)
            .limit(limit)
        ).all()
    )


def merge(db: Session, *, principal: Principal, keep_id: int, duplicate_id: int) -> MarketSeller:
    """Move a duplicate's reports and cases to the seller kept; the duplicate is hidden."""
    if keep_id == duplicate_id:
        raise InvalidInput("a seller cannot be merged into itself")
    keep = get_in_scope(db, principal=principal, seller_id=keep_id)
    duplicate = get_in_scope(db, principal=principal, seller_id=duplicate_id)
    if keep.id == duplicate.id:
        raise Conflict("these sellers were merged already")
    open_cases = db.scalars(
        select(MarketCase.seller_id).where(MarketCase.open_seller_id.in_([keep.id, duplicate.id]))
    ).all()
    if len(open_cases) > 1:
        raise Conflict("both sellers have an open case: close one before merging")
    db.execute(
        update(MarketReport).where(MarketReport.seller_id == duplicate.id).values(seller_id=keep.id)
    )
    db.execute(
        update(MarketCase)
        .where(MarketCase.seller_id == duplicate.id)
        .values(
            seller_id=keep.id,
            open_seller_id=_moved_open_key(keep.id),
        )
    )
    duplicate.merged_into_id = keep.id
    keep.licence_number = keep.licence_number or duplicate.licence_number
    keep.place_id = keep.place_id or duplicate.place_id
    audit.record(
        db,
        actor=principal,
        action="market:merge_sellers",
        entity="market_seller",
        entity_id=keep.id,
        detail={"merged": duplicate.id},
    )
    db.flush()
    return keep


def _moved_open_key(keep_id: int) -> Any:
    # An open case keeps its "open" key, now the kept seller's; closed ones keep NULL.
    return case((MarketCase.open_seller_id.is_not(None), keep_id), else_=None)


def sellers_in_division(db: Session, *, division_id: int) -> list[Any]:
    """(id, name) of a division's sellers (not merged away)."""
    return list(
        db.execute(
            select(MarketSeller.id, MarketSeller.name).where(
                MarketSeller.division_id == division_id, MarketSeller.merged_into_id.is_(None)
            )
        ).all()
    )
