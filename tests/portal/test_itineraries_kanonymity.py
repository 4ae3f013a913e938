"""An itinerary is published only if its age band and sex are shared by at least k = 5
residents of the city: else the approval is refused with a 409 that says why (and which wider
band would do), the draft stays a draft and nothing becomes public."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases import investigations
from epicontrol.cases import service as cases
from epicontrol.cases.models import CaseStatus
from epicontrol.cases.schemas import CaseIn, InvestigationIn, TravelEntryIn
from epicontrol.core import kanonymity
from epicontrol.core.db import utcnow
from epicontrol.core.errors import Conflict
from epicontrol.people.models import Resident
from epicontrol.portal import itineraries
from epicontrol.portal.itinerary_models import CaseItinerary
from tests.factories import City, login
from tests.portal.test_itineraries import CHINA, add_peers, add_places, local
from tests.tracing.store_scenario import principal


def _case_with_a_public_stay(db: Session, city: City, who: str, creator: str) -> int:
    """A confirmed case of `who` that stayed at the supermarket (a public place); committed."""
    add_places(db, city)
    now = utcnow()
    today = now.astimezone(CHINA).date()
    data = CaseIn(
        resident_id=city.residents[who],
        status=CaseStatus.CONFIRMED,
        onset_date=today,
        report_date=today,
    )
    officer = principal(db, creator)
    case_id = cases.create(db, principal=officer, data=data, now=now).case.id
    stay = TravelEntryIn(
        place_code="MKT-C", started_at=local(2, "10:07"), ended_at=local(2, "10:41")
    )
    form = InvestigationIn(travel=[stay])
    investigations.save(db, principal=officer, case_id=case_id, data=form, now=now)
    db.commit()
    return case_id


def _other_decade_same_20_years(db: Session, city: City, who: str) -> int:
    """A birth year whose age falls in `who`'s 20-year band but not in their 10-year band."""
    born = db.scalar(select(Resident.birth_year).where(Resident.id == city.residents[who]))
    assert born is not None
    year = utcnow().astimezone(CHINA).year
    lowest, highest = kanonymity.age_bounds(year - born, 20)
    assert highest is not None
    ten_lowest, _ = kanonymity.age_bounds(year - born, 10)
    other = lowest if ten_lowest != lowest else highest
    return year - other


def test_approval_needs_five_residents_sharing_age_band_and_sex(
    client: TestClient, db: Session, city: City
) -> None:
    # The neighbour (a man born 1985) is the only man of his decade in the test city.
    case_id = _case_with_a_public_stay(db, city, "neighbour", "epidemiologist")
    add_peers(db, city, "neighbour", 3)  # 4 share his band and sex: one short
    add_peers(db, city, "neighbour", 4, born=_other_decade_same_20_years(db, city, "neighbour"))
    db.commit()
    made = client.post(
        "/api/itineraries", json={"case_id": case_id}, headers=login(client, "epidemiologist")
    )
    assert made.status_code == 201, made.text
    commander = login(client, "commander")
    refused = client.post(f"/api/itineraries/{made.json()['id']}/approve", headers=commander)
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert "k-anonymity: only 4 residents" in detail and "(k = 5)" in detail
    assert "age band 10 -> 20 years" in detail and "would be shared by" in detail
    assert db.scalar(select(CaseItinerary.state)) == "draft"
    assert db.scalar(select(CaseItinerary.public_number)) is None
    assert client.get("/api/public/itineraries").json()["total"] == 0
    # The staff page's approve button gets the same refusal as a page.
    page = client.post(
        f"/itineraries/{made.json()['id']}/approve",
        headers={**commander, "Accept": "text/html"},
        follow_redirects=False,
    )
    assert page.status_code == 409 and "k-anonymity: only 4 residents" in page.text
    # A fifth man of his decade moves into the city: now the band is shared by five.
    add_peers(db, city, "neighbour", 1)
    db.commit()
    approved = client.post(f"/api/itineraries/{made.json()['id']}/approve", headers=commander)
    assert approved.status_code == 200, approved.text
    [public] = client.get("/api/public/itineraries").json()["items"]
    assert public["sex"] == "M" and public["age_band"] == approved.json()["age_band"]


def test_a_case_unique_even_by_sex_alone_is_refused(db: Session, city: City) -> None:
    # Two women live in the test city: even "a woman" is shared by fewer than five.
    case_id = _case_with_a_public_stay(db, city, "m3_resident", "admin")
    drafted = itineraries.draft(db, principal=principal(db, "admin"), case_id=case_id, now=utcnow())
    with pytest.raises(Conflict, match="even its sex alone is shared by fewer than 5"):
        itineraries.approve(
            db, principal=principal(db, "commander"), itinerary_id=drafted.id, now=utcnow()
        )
