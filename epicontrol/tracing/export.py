"""A case's contacts as CSV for the teams that call and visit them; identity only for roles
that may read it (people.service.reveal_identity's rule) with a stated purpose; audited."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.divisions.models import Division
from epicontrol.people.models import Resident
from epicontrol.tracing.contacts import names_by_id, rows_for_case, views

CSV_HEADER = (
    "contact_id",
    "case_number 病例编号",
    "degree 接触类型",
    "name 姓名",
    "phone 电话",
    "sex 性别",
    "birth_year 出生年",
    "grid 网格",
    "rule 判定规则",
    "place 场所",
    "via 经由",
    "first_exposure 首次接触",
    "last_exposure 末次接触",
    "minutes 分钟",
    "observation_ends_on 观察截止",
    "follow_up 随访状态",
    "days_left 剩余天数",
)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def export_csv(
    db: Session,
    *,
    principal: Principal,
    case_id: int,
    purpose: str,
    vault: PersonalDataVault,
    now: datetime,
) -> str:
    """A case's contacts as CSV. Names and phones are decrypted only for roles that may read
    identity (people.service.reveal_identity) and that state a purpose; masked otherwise."""
    rows = rows_for_case(db, principal=principal, case_id=case_id)
    reveal = bool(purpose) and is_allowed(principal.role, Permission.RESIDENT_READ_IDENTITY)
    contact_out = views(db, rows, now=now)
    resident_ids = [r.contact.contact_resident_id for r in rows]
    residents = {r.id: r for r in db.scalars(select(Resident).where(Resident.id.in_(resident_ids)))}
    grids = names_by_id(db, Division, Division.name, (r.contact.division_id for r in rows))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for out in contact_out:
        person = residents[out.contact_resident_id]
        name = vault.decrypt(person.name_enc) if reveal else person.name_masked
        phone = vault.decrypt(person.phone_enc) if reveal and person.phone_enc else ""
        writer.writerow(
            [
                _cell(v)
                for v in (
                    out.id,
                    out.case_number,
                    "close 密接" if out.degree == 1 else "secondary 次密接",
                    name,
                    phone,
                    person.sex,
                    person.birth_year,
                    grids.get(out.division_id, ""),
                    out.rule,
                    out.place_name or ("household 家庭" if out.rule == "household" else ""),
                    out.via_name_masked or "",
                    out.first_exposure_at.astimezone(LOCAL_TIME).isoformat(),
                    out.last_exposure_at.astimezone(LOCAL_TIME).isoformat(),
                    out.minutes,
                    out.observation_ends_on.isoformat(),
                    out.follow_up.state,
                    out.follow_up.days_left,
                )
            ]
        )
    audit.record(
        db,
        actor=principal,
        action="export",
        entity="contact",
        entity_id=case_id,
        purpose=purpose or f"routine work of {principal.role}",
        detail={
            "case_id": case_id,
            "rows": len(rows),
            "identity": reveal,
            "residents": sorted(set(resident_ids)) if reveal else [],
        },
    )
    return buffer.getvalue()
