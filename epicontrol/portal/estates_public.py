"""Housing estates with cases, for the public: search by name or address, tolerant of typos.

Only estates where a resident of one of its households is (or was) a confirmed case or an
asymptomatic infection are listed, with the report dates of their first and latest such case;
nothing about the people. Names are Chinese, so matching is by characters (rapidfuzz): one
wrong or two swapped characters in a four-character name still score well above unrelated
names, and a part of a name or address ("花园", a street) matches as a substring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz, utils
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case, CaseStatus
from epicontrol.divisions.models import Division, HousingEstate
from epicontrol.people.models import Household, Resident

# Infections, including those since recovered or deceased: the estate had a case.
INFECTED = sorted(
    s.value
    for s in (
        CaseStatus.CONFIRMED,
        CaseStatus.ASYMPTOMATIC,
        CaseStatus.RECOVERED,
        CaseStatus.DECEASED,
    )
)
# Scores are 0-100. 65 keeps "阳光花园" for "阳光花元" (one character wrong: 75) and
# "光阳花园" (two swapped: 75) while names sharing one character of the four score 25-50, and
# "花园" against "幸福家园" (one shared character of two) scores 60.
MIN_SCORE = 65.0
MAX_RESULTS = 50
MAX_QUERY = 60


@dataclass(frozen=True, slots=True)
class AffectedEstate:
    """An estate with cases: where it is and the report dates of its first and latest case."""

    estate_id: int
    name: str
    address: str
    community: str
    first_case_on: date
    latest_case_on: date
    score: float = 100.0


def affected_estates(db: Session) -> list[AffectedEstate]:
    """Every estate with a confirmed or asymptomatic case, the latest case first."""
    rows = db.execute(
        select(
            HousingEstate.id,
            HousingEstate.name,
            HousingEstate.address,
            Division.name,
            func.min(Case.report_date),
            func.max(Case.report_date),
        )
        .join(Household, Household.estate_id == HousingEstate.id)
        .join(Resident, Resident.household_id == Household.id)
        .join(Case, Case.resident_id == Resident.id)
        .join(Division, Division.id == HousingEstate.division_id)
        .where(Case.status.in_(INFECTED))
        .group_by(HousingEstate.id, HousingEstate.name, HousingEstate.address, Division.name)
    ).all()
    estates = [AffectedEstate(*row) for row in rows]
    estates.sort(key=lambda e: (-e.latest_case_on.toordinal(), e.name, e.estate_id))
    return estates


def score(query: str, estate: AffectedEstate) -> float:
    """How well `query` matches the estate's name or address (0-100)."""
    wanted = utils.default_process(query)
    if not wanted:
        return 0.0
    name = utils.default_process(estate.name)
    address = utils.default_process(f"{estate.address} {estate.community}")
    # WRatio weighs whole and partial matches; partial_ratio finds a street inside an address,
    # but only once the query is long enough not to match everything by one character.
    best = max(fuzz.WRatio(wanted, name), fuzz.WRatio(wanted, address))
    if len(wanted) >= 3:
        best = max(best, fuzz.partial_ratio(wanted, address))
    return float(best)


def search(db: Session, *, query: str) -> list[AffectedEstate]:
    """Affected estates matching `query` best first; all of them (latest case first) if empty."""
    estates = affected_estates(db)
    text = query.strip()[:MAX_QUERY]
    if not text:
        return estates[:MAX_RESULTS]
    scored = [(score(text, e), e) for e in estates]
    kept = [
        AffectedEstate(
            e.estate_id, e.name, e.address, e.community, e.first_case_on, e.latest_case_on, s
        )
        for s, e in scored
        if s >= MIN_SCORE
    ]
    kept.sort(key=lambda e: (-e.score, -e.latest_case_on.toordinal(), e.estate_id))
    return kept[:MAX_RESULTS]
