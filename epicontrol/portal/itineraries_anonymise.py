"""What of a case's travel history may be published, and how coarsely (age band, half hours).

The rules follow what Chinese cities published in February 2020 (case number, sex, age,
public places and times) minus what later criticism showed identified people: exact ages,
homes and workplaces ("hunting the case" on social media). Only places open to anyone are
published; a stay at a home, a workplace or inside a housing estate is left out.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from epicontrol.places.models import PlaceKind

AGE_BAND_YEARS = 10
# Few people are over 80: a 90-99 band could name someone in a small town.
OLDEST_BAND = 80
# Times are rounded outward (start down, end up) to the half hour: coarse enough not to pin a
# person down, and never shorter than the true stay, so "did I cross paths?" misses no one.
ROUNDING = timedelta(minutes=30)

# Places anyone may walk into. Not published: community gates (the case's home estate),
# workplaces, offices and schools (a small known group of people would recognise the case).
PUBLIC_PLACE_KINDS: frozenset[str] = frozenset(
    {
        PlaceKind.VENUE,
        PlaceKind.MARKET,
        PlaceKind.SUPERMARKET,
        PlaceKind.RESTAURANT,
        PlaceKind.RAILWAY_STATION,
        PlaceKind.BUS_STATION,
        PlaceKind.METRO_STATION,
        PlaceKind.EXPRESSWAY_EXIT,
        PlaceKind.CLINIC,
        PlaceKind.FEVER_CLINIC,
        PlaceKind.HOSPITAL,
        PlaceKind.PHARMACY,
    }
)
# Words by which an investigator names a home in free text ("家中", "住处", "home"); plain "家"
# is too common in shop names (家乐福, 全家) to count on its own.
_HOME_WORDS = re.compile(
    r"家中|家里|自家|住所|住处|住宅|住家|居所|寓所|\bhome\b|\bresidence\b|\bapartment\b|\bflat\b",
    re.IGNORECASE,
)


def age_band(birth_year: int, on: date) -> int:
    """The lower bound of the 10-year band of someone's age in the year of `on` (only the birth
    year is stored, so the age may be a year too high: the band is what is published)."""
    age = max(on.year - birth_year, 0)
    return min(age // AGE_BAND_YEARS * AGE_BAND_YEARS, OLDEST_BAND)


def round_down(moment: datetime) -> datetime:
    """`moment` rounded down to the half hour (China's offset is whole hours, so the local
    half hour is the UTC one)."""
    moment = moment.astimezone(UTC)
    step = int(ROUNDING.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % step, tz=UTC)


def round_up(moment: datetime) -> datetime:
    """`moment` rounded up to the half hour."""
    floor = round_down(moment)
    return floor if floor == moment.astimezone(UTC) else floor + ROUNDING


def reveals_home(*, kind: str, estate_id: int | None, texts: list[str]) -> bool:
    """Whether a stay must stay unpublished: not a public place, inside a housing estate (the
    case's own, or someone else's home visited), or described as a home."""
    if kind not in PUBLIC_PLACE_KINDS or estate_id is not None:
        return True
    return any(_HOME_WORDS.search(text) for text in texts if text)
