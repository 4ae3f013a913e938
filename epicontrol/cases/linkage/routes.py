"""API routes of record linkage (upload, run, review queue, decisions) and its review page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from epicontrol.cases.linkage import intake, review, rules, service
from epicontrol.cases.linkage.models import RecordStatus
from epicontrol.cases.linkage.schemas import DecisionIn, PairOut, RecordOut, RunOut, UploadOut
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Vault, require
from epicontrol.core.errors import InvalidInput
from epicontrol.core.policy import Permission
from epicontrol.web import csrf
from epicontrol.web.templating import PACKAGE_DIR

# web.templating finds only <domain>/templates one level down; this page lives a level deeper.
_TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(
            [str(PACKAGE_DIR / "web" / "templates"), str(Path(__file__).parent / "templates")]
        ),
        autoescape=True,
    )
)
csrf.install(_TEMPLATES.env)  # csrf_field() and csrf_token(), as in web.templating

router = APIRouter(tags=["linkage"])
Reviewer = Annotated[Principal, Depends(require(Permission.LINKAGE_REVIEW))]
# Strings shown to people, Chinese with the English beside; move to the catalogue when it exists.
FIELD_LABELS = {
    "name": "姓名 name",
    "id_number": "身份证号 ID number",
    "birth_date": "出生日期 birth date",
    "phone": "电话 phone",
    "sex": "性别 sex",
}
Source = Annotated[str, Form(description=f"one of {', '.join(rules.SOURCES)}")]


def _read_limited(file: UploadFile) -> bytes:
    data = file.file.read(rules.MAX_UPLOAD_BYTES + 1)
    if len(data) > rules.MAX_UPLOAD_BYTES:
        raise InvalidInput(f"file is larger than {rules.MAX_UPLOAD_BYTES:,} bytes; split it")
    return data


@router.post("/api/linkage/records", status_code=201)
def upload_records(
    file: UploadFile, source: Source, db: DbSession, principal: Reviewer, vault: Vault
) -> UploadOut:
    """Upload a CSV of records to link (columns ref, name, id_number, phone, sex, birth_date);
    one bad row refuses the whole file with the reasons, and nothing is stored."""
    stored = intake.upload(
        db, principal=principal, source=source, data=_read_limited(file), vault=vault
    )
    return UploadOut(stored=len(stored), record_ids=[r.id for r in stored])


@router.get("/api/linkage/records")
def list_records(
    db: DbSession, principal: Reviewer, status: RecordStatus | None = None
) -> list[RecordOut]:
    """Records of the caller's division, newest first (names masked)."""
    rows = service.list_records(db, principal=principal, status=status)
    return [RecordOut.model_validate(r) for r in rows]


@router.get("/api/linkage/records/{record_id}")
def get_record(record_id: int, db: DbSession, principal: Reviewer) -> RecordOut:
    """One record and the resident it is linked to, if any."""
    return RecordOut.model_validate(
        service.get_record(db, principal=principal, record_id=record_id)
    )


@router.post("/api/linkage/runs", status_code=201)
def start_run(db: DbSession, principal: Reviewer, vault: Vault) -> RunOut:
    """Link the pending records of the caller's division now (Splink, in-process DuckDB)."""
    started = utcnow()
    linkage_run = service.run(db, principal=principal, vault=vault, now=started)
    out = RunOut.model_validate(linkage_run)
    out.seconds = round((utcnow() - started).total_seconds(), 3)
    return out


@router.get("/api/linkage/review")
def review_queue(
    db: DbSession,
    principal: Reviewer,
    vault: Vault,
    limit: Annotated[int, Query(ge=1, le=review.MAX_QUEUE)] = 50,
) -> list[PairOut]:
    """Uncertain pairs waiting for a decision, both sides decrypted (audited), with the
    prior and each comparison's weight."""
    return review.review_queue(db, principal=principal, vault=vault, limit=limit)


@router.post("/api/linkage/pairs/{pair_id}/decision")
def decide(pair_id: int, decision: DecisionIn, db: DbSession, principal: Reviewer) -> PairOut:
    """Accept (link) or reject a queued pair; the decision is audited."""
    pair = review.decide(
        db,
        principal=principal,
        pair_id=pair_id,
        accept=decision.decision == "accept",
        now=utcnow(),
    )
    record = service.get_record(db, principal=principal, record_id=pair.record_id)
    return review.pair_out(pair, record)


@router.get("/linkage/review", include_in_schema=False)
def review_page(
    request: Request,
    db: DbSession,
    principal: Reviewer,
    vault: Vault,
    stored: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """The clerical review queue (人工复核): each pair with its waterfall, accept or reject."""
    context: dict[str, Any] = {
        "principal": principal,
        "stored": stored,
        "labels": FIELD_LABELS,
        "pairs": review.review_queue(db, principal=principal, vault=vault, limit=50),
        "auto_link": rules.AUTO_LINK_PROBABILITY,
        "review": rules.REVIEW_PROBABILITY,
        "sources": rules.SOURCES,
        "pending": len(service.list_records(db, principal=principal, status=RecordStatus.PENDING)),
    }
    return _TEMPLATES.TemplateResponse(request, "linkage_review.html", context)


@router.post("/linkage/review/{pair_id}", include_in_schema=False)
def review_decision(
    pair_id: int,
    db: DbSession,
    principal: Reviewer,
    decision: Annotated[str, Form(pattern="^(accept|reject)$")],
) -> Response:
    """A decision from the review page; back to the queue."""
    review.decide(
        db, principal=principal, pair_id=pair_id, accept=decision == "accept", now=utcnow()
    )
    return RedirectResponse("/linkage/review", status_code=303)


@router.post("/linkage/upload", include_in_schema=False)
def upload_from_page(
    file: UploadFile, source: Source, db: DbSession, principal: Reviewer, vault: Vault
) -> Response:
    """Upload a CSV from the review page (all rows or none); back to the queue."""
    stored = intake.upload(
        db, principal=principal, source=source, data=_read_limited(file), vault=vault
    )
    return RedirectResponse(f"/linkage/review?stored={len(stored)}", status_code=303)


@router.post("/linkage/run", include_in_schema=False)
def run_from_page(db: DbSession, principal: Reviewer, vault: Vault) -> Response:
    """Run linkage from the review page; back to the queue."""
    service.run(db, principal=principal, vault=vault, now=utcnow())
    return RedirectResponse("/linkage/review", status_code=303)
