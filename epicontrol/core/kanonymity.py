"""k-anonymity before release: every combination of quasi-identifiers that is published must be
shared by at least k people, else the release is generalised or withheld.

Quasi-identifiers are attributes that are harmless alone but identify someone together (age,
sex, where they live, when they fell ill): Sweeney found 87% of Americans unique on ZIP code,
birth date and sex. The check here is plain functions over records (no database): callers
count, this module decides. Generalisation follows one ladder, cheapest loss first: a 10-year
age band, then a 20-year band, then no age; a district, then the city.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

# The smallest group a published combination may describe; EPICONTROL_PRIVACY_K once the
# settings carry it (read only through privacy_k(), so the switch is one line).
K = 5
AGE_WIDTHS: tuple[int, ...] = (10, 20)  # then the age is suppressed
# Ages are top-coded: few people are over 80, and a 90-99 band could name someone.
OLDEST = 80
AREA_LEVELS: tuple[str, ...] = ("district", "city")

Record = Mapping[str, Hashable]


def privacy_k() -> int:
    """The k every release must meet: EPICONTROL_PRIVACY_K (at least 2: k = 1 would allow
    unique records)."""
    from epicontrol.core.settings import get_settings

    return max(get_settings().privacy_k, 2)


@dataclass(frozen=True, slots=True)
class SmallClass:
    """A combination of quasi-identifier values shared by fewer than k records."""

    key: tuple[Hashable, ...]
    size: int


def equivalence_classes(
    records: Iterable[Record], quasi_identifiers: Sequence[str]
) -> Counter[tuple[Hashable, ...]]:
    """How many records share each combination of the quasi-identifiers."""
    return Counter(tuple(r[q] for q in quasi_identifiers) for r in records)


def small_classes(
    records: Iterable[Record], quasi_identifiers: Sequence[str], k: int | None = None
) -> list[SmallClass]:
    """The equivalence classes smaller than k, smallest first (empty: the records are
    k-anonymous on these quasi-identifiers)."""
    limit = privacy_k() if k is None else k
    classes = equivalence_classes(records, quasi_identifiers)
    small = [SmallClass(key, n) for key, n in classes.items() if n < limit]
    return sorted(small, key=lambda c: (c.size, repr(c.key)))


def age_bounds(age: int, width: int) -> tuple[int, int | None]:
    """The band of `width` years holding `age`: (lowest, highest) age, highest None for the
    top-coded band ("80+")."""
    lower = max(age, 0) // width * width
    if lower >= OLDEST:
        return OLDEST, None
    return lower, min(lower + width, OLDEST) - 1


def age_band(age: int, width: int | None) -> str:
    """The published form of an age: "30-39" (width 10), "20-39" (20), "80+" at the top, "*"
    when suppressed (width None)."""
    if width is None:
        return "*"
    lowest, highest = age_bounds(age, width)
    return f"{lowest}+" if highest is None else f"{lowest}-{highest}"


@dataclass(frozen=True, slots=True)
class Level:
    """One rung of the generalisation ladder: an age width (None: age suppressed) and an area
    level."""

    age_width: int | None
    area: str

    def describe(self) -> list[str]:
        """What this level generalised, compared with the finest release."""
        done = []
        if self.age_width is None:
            done.append("age suppressed")
        elif self.age_width != AGE_WIDTHS[0]:
            done.append(f"age band {AGE_WIDTHS[0]} -> {self.age_width} years")
        if self.area != AREA_LEVELS[0]:
            done.append(f"{AREA_LEVELS[0]} -> {self.area}")
        return done


def ladder(areas: Sequence[str] = AREA_LEVELS) -> list[Level]:
    """Levels from the finest to the coarsest: the age widens before the area does (an age band
    costs the reader less than losing where the cases are)."""
    widths: list[int | None] = [*AGE_WIDTHS, None]
    return [Level(width, area) for area in areas for width in widths]


def generalise_record(record: Record, level: Level) -> dict[str, Hashable]:
    """A record as released at `level`: "age" becomes its band, the area the chosen level's
    value ("district" -> "city" takes the record's "city"); other fields are kept."""
    out = {name: value for name, value in record.items() if name not in AREA_LEVELS}
    age = record.get("age")
    if isinstance(age, int):
        out["age"] = age_band(age, level.age_width)
    if level.area in record:
        out["area"] = record[level.area]
    return out


@dataclass(frozen=True, slots=True)
class Release:
    """The coarsest-needed release: its level, what was generalised, the released records, and
    the records still in classes smaller than k (suppressed: not released)."""

    level: Level
    generalised: list[str]
    records: list[dict[str, Hashable]]
    suppressed: int
    k: int


def generalise(
    records: Sequence[Record],
    quasi_identifiers: Sequence[str] = ("age", "sex", "area"),
    k: int | None = None,
    areas: Sequence[str] = AREA_LEVELS,
) -> Release:
    """The finest level of the ladder at which every class has at least k records; if none
    does, the coarsest level with the records of its small classes suppressed."""
    limit = privacy_k() if k is None else k
    levels = ladder(areas)
    for level in levels:
        released = [generalise_record(r, level) for r in records]
        if not small_classes(released, quasi_identifiers, limit):
            return Release(level, level.describe(), released, 0, limit)
    coarsest = levels[-1]
    released = [generalise_record(r, coarsest) for r in records]
    classes = equivalence_classes(released, quasi_identifiers)
    kept = [r for r in released if classes[tuple(r[q] for q in quasi_identifiers)] >= limit]
    done = [*coarsest.describe(), f"{len(released) - len(kept)} records suppressed"]
    return Release(coarsest, done, kept, len(released) - len(kept), limit)


def first_safe_level(
    levels: Sequence[Level], count: Callable[[Level], int], k: int | None = None
) -> tuple[Level, int] | None:
    """The first level whose class (counted by the caller, e.g. residents sharing one person's
    released values) holds at least k people, with its size; None if even the last is smaller."""
    limit = privacy_k() if k is None else k
    for level in levels:
        size = count(level)
        if size >= limit:
            return level, size
    return None


def suppress_count(count: int, k: int | None = None) -> int | None:
    """A published cell's count, or None where 0 < count < k (shown as "<k"): a small count
    in a small area or group can point at a person. Zero is kept: it identifies no one."""
    limit = privacy_k() if k is None else k
    return None if 0 < count < limit else count


def count_label(count: int, k: int | None = None) -> str:
    """The count as published: "<5" for a suppressed cell, else the number."""
    limit = privacy_k() if k is None else k
    shown = suppress_count(count, limit)
    return f"<{limit}" if shown is None else str(shown)
