"""Price reports and complaints: stored with their seller (found or created) and an optional
photo; each reporter sees their own, with the outcome of the case about them."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import InvalidInput, NotFound
from epicontrol.core.policy import Role
from epicontrol.core.settings import Settings
from epicontrol.divisions.models import Division
from epicontrol.market import sellers
from epicontrol.market.models import (
    CaseStatus,
    ComplaintKind,
    MarketCase,
    MarketCaseReport,
    MarketReport,
    MarketSeller,
    Outcome,
    Product,
    ReportKind,
)
from epicontrol.market.schemas import CaseOutcomeOut, MyReportOut, ReportIn

# Residents report what they saw recently; older observations are not a market signal.
MAX_AGE_DAYS = 60
# Magic numbers of the picture types accepted, and the file suffix each is stored with.
PHOTO_TYPES = {b"\xff\xd8\xff": "jpeg", b"\x89PNG\r\n\x1a\n": "png"}
MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
# The names _store_photo gives: nothing else in the folder is ever deleted.
PHOTO_NAME = re.compile(r"[0-9a-f]{32}\.(jpeg|png|webp)")
# A photo is written before its report's transaction commits: younger unreferenced files may
# belong to a report being stored right now, so they are left for a later run.
UNREFERENCED_GRACE = timedelta(hours=1)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Photo:
    """An uploaded picture, checked by its content, not by the name or type the phone sent."""

    content: bytes
    kind: str

    @classmethod
    def checked(cls, content: bytes, *, max_bytes: int) -> Photo:
        """The photo, or InvalidInput if it is too large or not JPEG, PNG or WebP."""
        if len(content) > max_bytes:
            raise InvalidInput(f"the photo is larger than {max_bytes // 1_000_000} MB")
        if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
            return cls(content, "webp")
        for magic, kind in PHOTO_TYPES.items():
            if content.startswith(magic):
                return cls(content, kind)
        raise InvalidInput("the photo must be a JPEG, PNG or WebP picture")


def photo_dir(data_dir: Path) -> Path:
    """Where report photos are kept."""
    return data_dir / "market_photos"


def submit(
    db: Session,
    *,
    principal: Principal,
    data: ReportIn,
    today: date,
    photo: Photo | None = None,
    data_dir: Path | None = None,
) -> MarketReport:
    """Store a report; an inspector reports only within their division subtree."""
    if data.observed_on > today:
        raise InvalidInput("the date seen cannot be in the future")
    if data.observed_on < today - timedelta(days=MAX_AGE_DAYS):
        raise InvalidInput(f"report what you saw in the last {MAX_AGE_DAYS} days")
    seller = _seller(db, principal, data)
    is_inspector = principal.role != Role.RESIDENT
    if is_inspector:
        sellers.get_in_scope(db, principal=principal, seller_id=seller.id)
    report = MarketReport(
        seller_id=seller.id,
        kind=data.kind.value,
        reporter_user_id=principal.user_id,
        by_inspector=is_inspector,
        observed_on=data.observed_on,
        text=data.text.strip(),
    )
    if data.kind == ReportKind.PRICE:
        assert data.product and data.pack_size and data.price_yuan  # ReportIn checked them
        report.product = data.product.value
        report.pack_size = data.pack_size
        report.price_fen = int(data.price_yuan * 100)
    else:
        assert data.complaint_kind
        report.complaint_kind = data.complaint_kind.value
    if photo is not None:
        if data_dir is None:
            raise ValueError("a photo needs the data directory")
        report.photo_file = _store_photo(photo, data_dir)
        report.photo_type = photo.kind
    db.add(report)
    db.flush()
    audit.record(
        db,
        actor=principal,
        action="market:report",
        entity="market_report",
        entity_id=report.id,
        detail={"seller": seller.id, "kind": data.kind.value},
    )
    return report


def _seller(db: Session, principal: Principal, data: ReportIn) -> MarketSeller:
    if data.seller_id is not None:
        seller = db.get(MarketSeller, data.seller_id)
        if seller is None:
            raise InvalidInput(f"seller {data.seller_id} does not exist")
        while seller.merged_into_id is not None:
            seller = db.get(MarketSeller, seller.merged_into_id) or seller
        return seller
    assert data.division_id is not None  # ReportIn checked it
    named = sellers.SellerNamed(
        name=data.seller_name,
        kind=data.seller_kind,
        division_id=data.division_id,
        address=data.address,
        licence_number=data.licence_number or None,
    )
    seller, _created = sellers.find_or_create(db, named=named)
    return seller


def _store_photo(photo: Photo, data_dir: Path) -> str:
    folder = photo_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{photo.kind}"
    (folder / name).write_bytes(photo.content)
    return name


def delete_unreferenced_photos(db: Session, settings: Settings, now: datetime) -> int:
    """Delete photo files no report references any more (retention's after-commit step for
    market_reports, core/retention.py).

    Retention anonymises a report by clearing its photo_file in the database; the file goes
    here, after that commit, and is found by being unreferenced rather than by a list of names
    handed over from the purge. So a crash between the commit and the deletion loses nothing:
    the next run finds the same files. Deleting before the commit could lose the photo of a
    report whose transaction then rolled back. Files of failed submissions go the same way.
    Returns how many files it deleted (the purge's audit entry counts them).
    """
    folder = photo_dir(settings.data_dir)
    if not folder.is_dir():
        return 0
    settled = (now - UNREFERENCED_GRACE).timestamp()
    candidates = [path for path in folder.iterdir() if _is_settled_photo(path, settled)]
    if not candidates:
        return 0
    # One pass over the column (no index on it): cheaper than an IN lookup per batch of names.
    kept = set(
        db.scalars(select(MarketReport.photo_file).where(MarketReport.photo_file.is_not(None)))
    )
    deleted = sum(_delete(path) for path in candidates if path.name not in kept)
    if deleted:
        log.info("deleted %d market photos no report references", deleted)
    return deleted


def _is_settled_photo(path: Path, settled: float) -> bool:
    try:
        return bool(PHOTO_NAME.fullmatch(path.name)) and path.stat().st_mtime < settled
    except FileNotFoundError:  # another process's purge was first
        return False


def _delete(path: Path) -> bool:
    # A file that cannot be deleted now must not stop the rest of the purge: the next run
    # finds it again.
    try:
        path.unlink(missing_ok=True)
    except OSError as failed:
        log.warning("could not delete market photo %s: %s", path.name, failed)
        return False
    return True


def mine(db: Session, *, principal: Principal, now: datetime) -> list[MyReportOut]:
    """The caller's reports, newest first, each with the case about it; outcomes not shown to
    them before are marked new (and are seen from now on)."""
    rows = db.execute(
        select(MarketReport, MarketSeller.name, MarketCase)
        .join(MarketSeller, MarketSeller.id == MarketReport.seller_id)
        .outerjoin(MarketCaseReport, MarketCaseReport.report_id == MarketReport.id)
        .outerjoin(MarketCase, MarketCase.id == MarketCaseReport.case_id)
        .where(MarketReport.reporter_user_id == principal.user_id)
        .order_by(MarketReport.id.desc(), MarketCase.id.desc())
        .limit(400)
    ).all()
    found: dict[int, MyReportOut] = {}
    fresh: list[int] = []
    for report, seller_name, case in rows:
        if report.id in found:  # the newest case about a report is the one shown
            continue
        is_new = bool(
            case
            and case.closed_at
            and (report.outcome_seen_at is None or report.outcome_seen_at < case.closed_at)
        )
        if is_new:
            fresh.append(report.id)
        found[report.id] = _mine_out(report, seller_name, case, is_new)
    if fresh:
        db.execute(
            update(MarketReport).where(MarketReport.id.in_(fresh)).values(outcome_seen_at=now)
        )
    return list(found.values())


def _mine_out(
    report: MarketReport, seller_name: str, case: MarketCase | None, is_new: bool
) -> MyReportOut:
    return MyReportOut(
        id=report.id,
        kind=ReportKind(report.kind),
        seller_name=seller_name,
        product=Product(report.product) if report.product else None,
        pack_size=report.pack_size,
        price_yuan=Decimal(report.price_fen) / 100 if report.price_fen else None,
        complaint_kind=ComplaintKind(report.complaint_kind) if report.complaint_kind else None,
        text=report.text,
        observed_on=report.observed_on,
        has_photo=report.photo_file is not None,
        case=CaseOutcomeOut(
            case_id=case.id,
            status=CaseStatus(case.status),
            outcome=Outcome(case.outcome) if case.outcome else None,
            closed_at=case.closed_at,
        )
        if case
        else None,
        is_new_outcome=is_new,
    )


def photo_for(
    db: Session, *, principal: Principal, report_id: int, own_only: bool, data_dir: Path
) -> tuple[Path, str]:
    """A report's photo file and media type: the reporter's own, or (inspectors) in scope."""
    report = db.get(MarketReport, report_id)
    if report is None or report.photo_file is None:
        raise NotFound(f"report {report_id} has no photo")
    if own_only:
        if report.reporter_user_id != principal.user_id:
            raise NotFound(f"report {report_id} has no photo")
    else:
        sellers.get_in_scope(db, principal=principal, seller_id=report.seller_id)
        audit.record(
            db,
            actor=principal,
            action="market:read_photo",
            entity="market_report",
            entity_id=report.id,
        )
    path = photo_dir(data_dir) / report.photo_file
    if not path.is_file():
        raise NotFound(f"report {report_id}'s photo is no longer kept")
    return path, MEDIA_TYPES[report.photo_type or "jpeg"]


def division_choices(db: Session, *, principal: Principal) -> list[tuple[int, str]]:
    """Divisions a resident picks a seller's from: the communities of their street (their own
    first), then the street itself (for online shops and stalls without an address)."""
    own = db.get(Division, principal.division_id)
    if own is None:
        return []
    ids = [int(part) for part in own.path.strip("/").split("/")]
    ancestors = {d.id: d for d in db.scalars(select(Division).where(Division.id.in_(ids)))}
    street = next((ancestors[i] for i in reversed(ids) if ancestors[i].level == "street"), None)
    community = next(
        (ancestors[i] for i in reversed(ids) if ancestors[i].level == "community"), None
    )
    if street is None:
        return [(own.id, own.name)]
    communities = list(
        db.scalars(
            select(Division)
            .where(Division.parent_id == street.id, Division.level == "community")
            .order_by(Division.code)
        )
    )
    if community is not None:
        communities.sort(key=lambda d: d.id != community.id)
    return [(d.id, d.name) for d in communities] + [(street.id, street.name)]
