"""Cases pages: the epidemiologist's line list with travel histories (/cases), a case with its
investigation form (/cases/{id}), and fever-clinic registration for clinic staff
(/fever-clinic). Forms post back here and redirect, so a reload never resends."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases import clinics, investigations, rules, service
from epicontrol.cases.clinic_schemas import RegistrationIn, ResultIn
from epicontrol.cases.models import TRANSITIONS, CaseStatus, RegistrationStatus
from epicontrol.cases.schemas import InvestigationIn, TravelEntryIn
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Vault, require
from epicontrol.core.errors import InvalidInput
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.people.models import Resident
from epicontrol.places.models import Place
from epicontrol.tracing import background
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False)
CaseReader = Annotated[Principal, Depends(require(Permission.CASE_READ))]
CaseWriter = Annotated[Principal, Depends(require(Permission.CASE_WRITE))]
ClinicReader = Annotated[Principal, Depends(require(Permission.CLINIC_READ))]
Registrar = Annotated[Principal, Depends(require(Permission.CLINIC_REGISTER))]

# Strings shown to people, Chinese with the English beside; move to the catalogue when it exists.
STATUS_LABELS = {
    "suspected": "疑似 suspected",
    "confirmed": "确诊 confirmed",
    "asymptomatic": "无症状感染者 asymptomatic",
    "recovered": "治愈 recovered",
    "deceased": "死亡 deceased",
    "discarded": "排除 discarded",
}
REGISTRATION_LABELS = {
    "waiting": "待采样 waiting",
    "sampled": "待结果 sampled",
    "positive": "阳性 positive",
    "negative": "阴性 negative",
}
TRAVEL_ROWS_BLANK = 3  # empty rows under the stored ones: no script needed to add a stay


def _names(db: Session, resident_ids: list[int]) -> dict[int, str]:
    if not resident_ids:
        return {}
    query = select(Resident.id, Resident.name_masked).where(Resident.id.in_(resident_ids))
    return {rid: name for rid, name in db.execute(query)}


@router.get("/cases")
def line_list_page(
    request: Request, db: DbSession, principal: CaseReader, status: CaseStatus | None = None
) -> Response:
    """The line list (病例一览) of the caller's division with each case's travel history."""
    rows = service.list_visible(db, principal=principal, status=status, limit=service.MAX_PAGE)
    travel = investigations.travel_of(db, [c.id for c in rows])
    audit.record(
        db,
        actor=principal,
        action="list",
        entity="case",
        purpose="line list with travel histories",
        detail={"count": len(rows), "status": status.value if status else None},
    )
    context = {
        "cases": rows,
        "travel": travel,
        "names": _names(db, sorted({c.resident_id for c in rows})),
        "status": status.value if status else "",
        "statuses": list(CaseStatus),
        "labels": STATUS_LABELS,
        "time_zone": LOCAL_TIME,
    }
    return render(request, "cases_line_list.html", context)


def _local_input(moment: datetime) -> str:
    """A moment as a datetime-local field shows it (China time)."""
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%dT%H:%M")


def _case_context(
    db: Session, principal: Principal, case_id: int, *, form: dict[str, Any] | None = None
) -> dict[str, Any]:
    case = service.get_visible(db, principal=principal, case_id=case_id)
    found = investigations.get(
        db, principal=principal, case_id=case.id, purpose="case investigation page"
    )
    if form is None:
        rows = [
            {
                "place_code": "" if e.place_code.startswith("INV-") else e.place_code,
                "place_name": e.place_name if e.place_code.startswith("INV-") else "",
                "address": e.address if e.place_code.startswith("INV-") else "",
                "start": _local_input(e.started_at),
                "end": _local_input(e.ended_at),
                "note": e.note,
            }
            for e in (found.travel if found else [])
        ]
        form = {
            "exposure_summary": found.exposure_summary if found else "",
            "symptoms": found.symptoms if found else [],
            "travel": rows,
        }
    form["travel"] = form["travel"] + [{} for _ in range(TRAVEL_ROWS_BLANK)]
    return {
        "case": case,
        "name": _names(db, [case.resident_id]).get(case.resident_id, ""),
        "investigation": found,
        "form": form,
        "can_write": is_allowed(principal.role, Permission.CASE_WRITE),
        "next_statuses": sorted(TRANSITIONS[CaseStatus(case.status)]),
        "symptom_labels": rules.SYMPTOMS,
        "labels": STATUS_LABELS,
        "time_zone": LOCAL_TIME,
    }


@router.get("/cases/{case_id}")
def case_page(request: Request, db: DbSession, principal: CaseReader, case_id: int) -> Response:
    """One case and its investigation form (流行病学调查)."""
    return render(request, "cases_case.html", _case_context(db, principal, case_id))


def _local(value: str) -> datetime | str:
    """A datetime-local field's value in China time (the text back if it is not one)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TIME)


def _travel_rows(fields: Any) -> list[dict[str, str]]:
    rows = []
    for i in range(rules.MAX_TRAVEL_ENTRIES):
        names = ("place_code", "place_name", "address", "start", "end", "note")
        row = {name: str(fields.get(f"travel-{i}-{name}", "")).strip() for name in names}
        if f"travel-{i}-start" not in fields:
            break
        if any(row.values()):
            rows.append(row)
    return rows


def _error_text(error: ValidationError | InvalidInput) -> str:
    if isinstance(error, InvalidInput):
        return error.message
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())


@router.post("/cases/{case_id}/investigation")
async def save_investigation_page(
    request: Request, db: DbSession, principal: CaseWriter, case_id: int
) -> Response:
    """Save the investigation form; errors come back on the form, nothing stored."""
    fields = await request.form()
    rows = _travel_rows(fields)
    summary = str(fields.get("exposure_summary", ""))
    symptoms = [str(s) for s in fields.getlist("symptoms")]
    form: dict[str, Any] = {"exposure_summary": summary, "symptoms": symptoms, "travel": rows}
    try:
        data = InvestigationIn(
            exposure_summary=summary,
            symptoms=symptoms,
            travel=[
                TravelEntryIn(
                    place_code=r["place_code"] or None,
                    place_name=r["place_name"] or None,
                    address=r["address"],
                    started_at=_local(r["start"]),  # type: ignore[arg-type]
                    ended_at=_local(r["end"]),  # type: ignore[arg-type]
                    note=r["note"],
                )
                for r in rows
            ],
        )
        change = investigations.save(
            db, principal=principal, case_id=case_id, data=data, now=utcnow()
        )
    except (ValidationError, InvalidInput) as error:
        db.rollback()  # a free-text venue made before the error is not kept
        context = _case_context(db, principal, case_id, form=form)
        context["error"] = _error_text(error)
        return render(request, "cases_case.html", context, status_code=422)
    background.after_case_change(db, change, requested_by=principal.username)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


def _clinic_context(db: Session, principal: Principal) -> dict[str, Any]:
    rows = clinics.list_visible(
        db, principal=principal, purpose="fever clinic page", limit=clinics.MAX_PAGE
    )
    place_ids = sorted({r.place_id for r in rows})
    query = select(Place.id, Place.name).where(Place.id.in_(place_ids))
    places = {pid: name for pid, name in db.execute(query)} if place_ids else {}
    return {
        "registrations": rows,
        "clinic_names": places,
        "clinics": clinics.fever_clinics(db, principal=principal),
        "can_register": is_allowed(principal.role, Permission.CLINIC_REGISTER),
        "symptom_labels": rules.SYMPTOMS,
        "labels": REGISTRATION_LABELS,
        "statuses": RegistrationStatus,
        "now_local": _local_input(utcnow()),
        "time_zone": LOCAL_TIME,
    }


@router.get("/fever-clinic")
def clinic_page(request: Request, db: DbSession, principal: ClinicReader) -> Response:
    """Fever-clinic registration (发热门诊登记): the form and the patients registered."""
    return render(request, "cases_fever_clinic.html", _clinic_context(db, principal))


def _clinic_error(
    request: Request, db: Session, principal: Principal, error: ValidationError | InvalidInput
) -> Response:
    db.rollback()
    context = _clinic_context(db, principal)
    context["error"] = _error_text(error)
    return render(request, "cases_fever_clinic.html", context, status_code=422)


@router.post("/fever-clinic/register")
async def register_page(
    request: Request, db: DbSession, principal: Registrar, vault: Vault
) -> Response:
    """Register a patient from the page's form."""
    fields = await request.form()

    def text(name: str) -> str | None:
        return str(fields.get(name, "")).strip() or None

    try:
        data = RegistrationIn.model_validate(
            {
                "clinic_code": text("clinic_code") or "",
                "id_number": text("id_number"),
                "name": text("name") or "",
                "phone": text("phone"),
                "sex": text("sex"),
                "birth_date": text("birth_date"),
                "temperature": text("temperature"),
                "symptoms": [str(s) for s in fields.getlist("symptoms")],
                "onset_date": text("onset_date"),
                "arrived_at": _local(text("arrived_at") or "") if text("arrived_at") else None,
            }
        )
        clinics.register(db, principal=principal, data=data, vault=vault, now=utcnow())
    except (ValidationError, InvalidInput) as error:
        return _clinic_error(request, db, principal, error)
    return RedirectResponse("/fever-clinic", status_code=303)


@router.post("/fever-clinic/{registration_id}/result")
async def result_page(
    request: Request, db: DbSession, principal: Registrar, registration_id: int
) -> Response:
    """Record a sample's result from the page (the sample time defaults to now)."""
    fields = await request.form()
    sampled = str(fields.get("sampled_at", "")).strip()
    try:
        data = ResultIn.model_validate(
            {"result": str(fields.get("result", "")), "sampled_at": _local(sampled) or None}
        )
        if data.sampled_at is None:
            data.sampled_at = utcnow()
        outcome = clinics.record_result(
            db, principal=principal, registration_id=registration_id, data=data, now=utcnow()
        )
    except (ValidationError, InvalidInput) as error:
        return _clinic_error(request, db, principal, error)
    if outcome.change is not None:
        background.after_case_change(db, outcome.change, requested_by=principal.username)
    return RedirectResponse("/fever-clinic", status_code=303)
