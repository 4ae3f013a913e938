"""Supply rounds: an officer opens one for a division, and draws its lottery after closing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import Conflict, InvalidInput, NotFound
from epicontrol.core.i18n import gettext as _
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.places.models import Place, PlaceKind
from epicontrol.supplies import codes, lottery
from epicontrol.supplies.models import (
    Allocation,
    MaskReservation,
    MaskRound,
    ReservationStatus,
    RoundPharmacy,
)
from epicontrol.supplies.schemas import DrawOut, PharmacyOut, RoundIn, RoundOut

DRAW_METHOD = (
    "seed = sha256('<round id>|<closes_at UTC YYYY-MM-DDTHH:MM:SSZ>|<application ids ascending,"
    " comma-separated>'); ticket = sha256('<seed>:<application id>'); smallest tickets first,"
    " each taking its masks while the supply lasts"
)


def open_round(db: Session, *, principal: Principal, data: RoundIn) -> MaskRound:
    """Store a new round of the caller's scope; its pharmacies must lie in its division."""
    division = db.get(Division, data.division_id)
    if division is None or not principal.covers(division.path):
        raise NotFound(f"division {data.division_id} is not in your area")
    _check_times(data)
    if data.supply < data.masks_per_household:
        raise InvalidInput("the supply must cover at least one household's quota")
    pharmacy_ids = sorted(set(data.pharmacy_ids))
    _check_pharmacies(db, pharmacy_ids, division)
    round_ = MaskRound(
        division_id=division.id,
        title_zh=data.title_zh.strip(),
        title_en=data.title_en.strip() or data.title_zh.strip(),
        allocation=data.allocation.value,
        masks_per_household=data.masks_per_household,
        supply=data.supply,
        reserved=0,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        pickup_starts_at=data.pickup_starts_at,
        pickup_ends_at=data.pickup_ends_at,
        created_by=principal.user_id,
    )
    db.add(round_)
    db.flush()
    db.add_all(RoundPharmacy(round_id=round_.id, place_id=pid) for pid in pharmacy_ids)
    audit.record(
        db,
        actor=principal,
        action="create",
        entity="mask_round",
        entity_id=round_.id,
        detail={"division_id": division.id, "supply": data.supply},
    )
    db.flush()
    return round_


def _check_times(data: RoundIn) -> None:
    if not data.opens_at < data.closes_at:
        raise InvalidInput("reservations must open before they close")
    if not data.pickup_starts_at < data.pickup_ends_at:
        raise InvalidInput("the pickup window must start before it ends")
    if data.allocation == Allocation.LOTTERY and data.pickup_starts_at < data.closes_at:
        raise InvalidInput("a lottery round's pickup starts after reservations close")
    if data.pickup_ends_at < data.closes_at:
        raise InvalidInput("the pickup window must not end before reservations close")


def _check_pharmacies(db: Session, place_ids: Sequence[int], division: Division) -> None:
    found = db.execute(
        select(Place.id, Place.kind, Division.path)
        .join(Division, Division.id == Place.division_id)
        .where(Place.id.in_(place_ids))
    ).all()
    good = {
        place_id
        for place_id, kind, path in found
        if kind == PlaceKind.PHARMACY.value and path.startswith(division.path)
    }
    bad = [place_id for place_id in place_ids if place_id not in good]
    if bad:
        raise InvalidInput(f"not pharmacies in the round's division: {bad}")


def rounds_in_scope(db: Session, *, principal: Principal, limit: int = 100) -> list[RoundOut]:
    """The caller's rounds, newest first, with their counts."""
    query = (
        select(MaskRound)
        .join(Division, Division.id == MaskRound.division_id)
        .where(Division.path.startswith(principal.division_path))
        .order_by(MaskRound.id.desc())
        .limit(limit)
    )
    return describe(db, list(db.scalars(query)))


def get_in_scope(db: Session, *, principal: Principal, round_id: int) -> MaskRound:
    """One round of the caller's scope, or 404."""
    found = db.execute(
        select(MaskRound, Division.path)
        .join(Division, Division.id == MaskRound.division_id)
        .where(MaskRound.id == round_id)
    ).first()
    if found is None or not principal.covers(found[1]):
        raise NotFound(f"round {round_id} is not in your area")
    return found[0]


def describe(db: Session, rounds: Sequence[MaskRound]) -> list[RoundOut]:
    """Rounds as the API shows them: pharmacies, division name and counts read once for all."""
    ids = [r.id for r in rounds]
    if not ids:
        return []
    pharmacies = pharmacies_of(db, ids)
    names = dict(
        db.execute(
            select(Division.id, Division.name).where(
                Division.id.in_({r.division_id for r in rounds})
            )
        ).all()
    )
    counts = _counts(db, ids)
    return [
        RoundOut(
            id=r.id,
            division_id=r.division_id,
            division_name=names.get(r.division_id, ""),
            title_zh=r.title_zh,
            title_en=r.title_en,
            allocation=Allocation(r.allocation),
            masks_per_household=r.masks_per_household,
            supply=r.supply,
            reserved=r.reserved,
            opens_at=r.opens_at,
            closes_at=r.closes_at,
            pickup_starts_at=r.pickup_starts_at,
            pickup_ends_at=r.pickup_ends_at,
            lottery_seed=r.lottery_seed,
            drawn_at=r.drawn_at,
            pharmacies=pharmacies.get(r.id, []),
            households=counts.get(r.id, (0, 0, 0))[0],
            confirmed=counts.get(r.id, (0, 0, 0))[1],
            collected=counts.get(r.id, (0, 0, 0))[2],
        )
        for r in rounds
    ]


def pharmacies_of(db: Session, round_ids: Sequence[int]) -> dict[int, list[PharmacyOut]]:
    """Round id -> its pharmacies, by name."""
    rows = db.execute(
        select(RoundPharmacy.round_id, Place.id, Place.code, Place.name, Place.address)
        .join(Place, Place.id == RoundPharmacy.place_id)
        .where(RoundPharmacy.round_id.in_(round_ids))
        .order_by(Place.name, Place.id)
    )
    found: dict[int, list[PharmacyOut]] = {}
    for round_id, place_id, code, name, address in rows:
        found.setdefault(round_id, []).append(
            PharmacyOut(id=place_id, code=code, name=name, address=address)
        )
    return found


def _counts(db: Session, round_ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    confirmed = (ReservationStatus.CONFIRMED.value, ReservationStatus.COLLECTED.value)
    rows = db.execute(
        select(
            MaskReservation.round_id,
            func.count(),
            func.sum(case((MaskReservation.status.in_(confirmed), 1), else_=0)),
            func.sum(
                case((MaskReservation.status == ReservationStatus.COLLECTED.value, 1), else_=0)
            ),
        )
        .where(MaskReservation.round_id.in_(round_ids))
        .group_by(MaskReservation.round_id)
    )
    return {rid: (int(n), int(c or 0), int(k or 0)) for rid, n, c, k in rows}


def draw_lottery(db: Session, *, principal: Principal, round_id: int, now: datetime) -> DrawOut:
    """Draw a closed lottery round: winners get pickup codes, the others are told."""
    round_ = get_in_scope(db, principal=principal, round_id=round_id)
    return draw_closed_round(db, round_=round_, now=now, actor=principal)


def draw_closed_round(
    db: Session, *, round_: MaskRound, now: datetime, actor: Principal | str
) -> DrawOut:
    """Draw `round_` (a lottery whose reservations have closed), audited as `actor`'s act."""
    round_id = round_.id
    if round_.allocation != Allocation.LOTTERY.value:
        raise InvalidInput("only a lottery round is drawn; a first-come round needs no draw")
    if now < round_.closes_at:
        raise Conflict("the lottery is drawn only after reservations close")
    # Claims the draw and locks the round: orders still in flight wait, then find it drawn.
    claimed = db.execute(
        update(MaskRound)
        .where(MaskRound.id == round_id, MaskRound.drawn_at.is_(None))
        .values(drawn_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("this round's lottery has already been drawn")
    applications = [
        lottery.Application(id=rid, masks=masks)
        for rid, masks in db.execute(
            select(MaskReservation.id, MaskReservation.masks).where(
                MaskReservation.round_id == round_id,
                MaskReservation.status == ReservationStatus.APPLIED.value,
            )
        )
    ]
    seed = lottery.seed_for(round_.id, round_.closes_at, [a.id for a in applications])
    drawn = lottery.draw(seed, applications, round_.supply)
    _store_draw(db, round_, applications, drawn, seed)
    audit.record(
        db,
        actor=actor,
        action="draw",
        entity="mask_round",
        entity_id=round_id,
        detail={"seed": seed, "applications": len(applications), "drawn": len(drawn)},
    )
    return draw_record(db, round_id=round_id)


def _store_draw(
    db: Session,
    round_: MaskRound,
    applications: Sequence[lottery.Application],
    drawn: Sequence[int],
    seed: str,
) -> None:
    masks = {a.id: a.masks for a in applications}
    pickup_codes = codes.new_codes(len(drawn))
    for application_id, code in zip(drawn, pickup_codes, strict=True):
        db.execute(
            update(MaskReservation)
            .where(MaskReservation.id == application_id)
            .values(status=ReservationStatus.CONFIRMED.value, pickup_code=code)
            .execution_options(synchronize_session=False)
        )
    db.execute(
        update(MaskReservation)
        .where(
            MaskReservation.round_id == round_.id,
            MaskReservation.status == ReservationStatus.APPLIED.value,
        )
        .values(status=ReservationStatus.NOT_DRAWN.value)
        .execution_options(synchronize_session=False)
    )
    db.execute(
        update(MaskRound)
        .where(MaskRound.id == round_.id)
        .values(lottery_seed=seed, reserved=sum(masks[i] for i in drawn))
        .execution_options(synchronize_session=False)
    )
    db.expire(round_)


def draw_record(db: Session, *, round_id: int) -> DrawOut:
    """A drawn round's public record: seed, applications and those drawn, in ranking order."""
    round_ = db.get(MaskRound, round_id)
    if round_ is None or round_.lottery_seed is None:
        raise NotFound(_("This round has no lottery draw yet."))
    rows = db.execute(
        select(MaskReservation.id, MaskReservation.masks, MaskReservation.status).where(
            MaskReservation.round_id == round_id
        )
    )
    masks: dict[int, int] = {}
    won: list[int] = []
    for rid, count, status in rows:
        masks[rid] = count
        if status != ReservationStatus.NOT_DRAWN.value:
            won.append(rid)
    won.sort(key=lambda rid: lottery.ticket(round_.lottery_seed or "", rid))
    return DrawOut(
        round_id=round_id,
        closes_at=round_.closes_at,
        supply=round_.supply,
        seed=round_.lottery_seed,
        applications=sorted(masks),
        masks=masks,
        drawn=won,
        method=DRAW_METHOD,
    )


def public_rounds(db: Session, *, now: datetime, limit: int = 50) -> list[RoundOut]:
    """Rounds taking orders now or soon, or drawn and not yet past pickup: the public list."""
    query = (
        select(MaskRound)
        .where(MaskRound.pickup_ends_at > now)
        .order_by(MaskRound.closes_at, MaskRound.id)
        .limit(limit)
    )
    return describe(db, list(db.scalars(query)))


def divisions_for_rounds(db: Session, *, principal: Principal) -> list[Division]:
    """Divisions of the caller's area a round may be opened for (down to communities)."""
    query = (
        select(Division)
        .where(
            Division.path.startswith(principal.division_path),
            Division.level != DivisionLevel.GRID.value,
        )
        .order_by(Division.path)
        .limit(500)
    )
    return list(db.scalars(query))
