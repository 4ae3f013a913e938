"""POST /api/portal/feed: import the provincial and national figures feed (FEED_IMPORT)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, UploadFile
from pydantic import BaseModel

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, require
from epicontrol.core.errors import InvalidInput
from epicontrol.core.policy import Permission
from epicontrol.portal import feed

router = APIRouter(prefix="/api/portal", tags=["portal"])
Importer = Annotated[Principal, Depends(require(Permission.FEED_IMPORT))]


class FeedRowErrorOut(BaseModel):
    """One problem of one row (the header is row 1)."""

    row: int
    column: str
    message: str


class FeedReportOut(BaseModel):
    """What an import did; `committed` false (status 422) means nothing was stored."""

    file_name: str
    rows_total: int
    committed: bool
    inserted: int
    updated: int
    unchanged: int
    errors: list[FeedRowErrorOut]


@router.post("/feed")
def import_feed(
    file: UploadFile, response: Response, db: DbSession, principal: Importer
) -> FeedReportOut:
    """Import a feed CSV (level, region_code, region_name, day, confirmed, suspected,
    asymptomatic, cured, deaths, source); any bad row: 422 with every row's problems."""
    data = file.file.read(feed.MAX_IMPORT_BYTES + 1)
    if len(data) > feed.MAX_IMPORT_BYTES:
        raise InvalidInput(f"file is larger than the limit of {feed.MAX_IMPORT_BYTES} bytes")
    report = feed.import_feed(
        db, actor=principal, data=data, file_name=file.filename or "feed.csv", now=utcnow()
    )
    if not report.committed:
        response.status_code = 422
    return FeedReportOut(
        file_name=report.file_name,
        rows_total=report.rows_total,
        committed=report.committed,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        errors=[
            FeedRowErrorOut(row=e.row, column=e.column, message=e.message) for e in report.errors
        ],
    )
