"""API routes of the shared infrastructure: the audit log and register imports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.deps import DbSession, SettingsDep, Vault, require
from epicontrol.core.errors import InvalidInput
from epicontrol.core.policy import Permission

router = APIRouter(prefix="/api", tags=["admin"])
Auditor = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]
Importer = Annotated[Principal, Depends(require(Permission.RESIDENT_IMPORT))]


class AuditEntryOut(BaseModel):
    """One audit entry."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    entity: str
    entity_id: str | None
    purpose: str
    outcome: str
    detail: str


class RowErrorOut(BaseModel):
    """One invalid cell of an imported file."""

    row: int
    column: str
    message: str


class ImportReportOut(BaseModel):
    """What an import did."""

    file_name: str
    rows_total: int
    rows_imported: int
    rows_rejected: int
    committed: bool
    errors: list[RowErrorOut]


@router.get("/audit")
def list_audit(
    db: DbSession,
    _principal: Auditor,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntryOut]:
    """The newest audit entries, filtered."""
    rows = audit.entries(db, entity=entity, entity_id=entity_id, actor=actor, limit=limit)
    return [AuditEntryOut.model_validate(r) for r in rows]


@router.post("/imports/residents")
async def import_residents(
    file: UploadFile,
    response: Response,
    db: DbSession,
    principal: Importer,
    settings: SettingsDep,
    vault: Vault,
    skip_invalid: bool = False,
) -> ImportReportOut:
    """Import a resident register (CSV or xlsx); a file with errors commits nothing unless
    skip_invalid is set."""
    from epicontrol.people.importer import import_residents_bytes

    if file.size is not None and file.size > settings.max_import_bytes:
        raise InvalidInput(f"file is larger than the limit of {settings.max_import_bytes} bytes")
    data = await file.read(settings.max_import_bytes + 1)
    if len(data) > settings.max_import_bytes:
        raise InvalidInput(f"file is larger than the limit of {settings.max_import_bytes} bytes")
    report = import_residents_bytes(
        db,
        data,
        file.filename or "upload.csv",
        vault=vault,
        imported_by=principal.username,
        skip_invalid=skip_invalid,
        max_bytes=settings.max_import_bytes,
    )
    if not report.committed:
        # Nothing was stored: the answer is a 422 carrying the row-level report.
        response.status_code = 422
    else:
        audit.record(
            db,
            actor=principal,
            action="import",
            entity="resident",
            purpose="base register import",
            detail={"file": report.file_name, "rows": report.rows_imported},
        )
    return ImportReportOut(
        file_name=report.file_name,
        rows_total=report.rows_total,
        rows_imported=report.rows_imported,
        rows_rejected=report.rows_rejected,
        committed=report.committed,
        errors=[RowErrorOut(row=e.row, column=e.column, message=e.message) for e in report.errors],
    )
