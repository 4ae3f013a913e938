"""A hand-made town for the tracing engine: every rule's boundary, with the exact contacts due.

Times are minutes from T0, midnight in China on 20 January 2020. Movements are written in the
store export's event layout (an "in" and, for a stay, an "out"), so the engine's own pairing of
records into visits is exercised too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from epicontrol.tracing import schema
from epicontrol.tracing.rules import china_midnight

T0 = china_midnight(date(2020, 1, 20))
MINUTE = 60
DAY_MINUTES = 24 * 60
NOW_MINUTES = 3 * DAY_MINUTES

PLACE_KINDS = {
    10: "restaurant",
    11: "market",
    12: "supermarket",
    13: "railway_station",
    14: "railway_station",
    15: "restaurant",
    16: "supermarket",
    17: "pharmacy",
    18: "office",
    19: "restaurant",
}


@dataclass(frozen=True)
class Stay:
    """A stay from `start` to `end` minutes (None: a point scan without check-out)."""

    resident: int
    place: int
    start: int
    end: int | None
    train: str | None = None
    carriage: str | None = None


STAYS = (
    # Case 1 (resident 1), window day 0 00:00 to day 2 00:00.
    # 15-minute boundary at a restaurant: resident 2 shares 14 minutes, resident 3 shares 15.
    Stay(1, 10, 720, 780),
    Stay(2, 10, 766, 800),
    Stay(3, 10, 765, 840),
    Stay(4, 10, 720, 780),
    # Window start: a market stay across midnight; only the part inside the window counts.
    Stay(1, 11, -20, 20),
    Stay(5, 11, -20, 20),  # 20 minutes inside: contact
    Stay(6, 11, -30, 10),  # 30 together, 10 inside: not a contact
    # Window end (day 2 00:00 = minute 2880).
    Stay(1, 12, 2850, 2910),
    Stay(7, 12, 2870, 2910),  # 10 minutes inside: not the case's contact
    Stay(9, 12, 2865, 2900),  # 15 minutes inside: contact
    Stay(1, 12, 3000, 3060),
    Stay(8, 12, 3000, 3060),  # after the window: not a contact
    # Train G100: carriage 05 with the case is a contact, carriage 06 or the next day is not.
    Stay(1, 13, 480, 600, "G100", "05"),
    Stay(30, 14, 540, 660, "G100", "05"),
    Stay(31, 14, 540, 660, "G100", "06"),
    Stay(32, 14, 1980, 2100, "G100", "05"),
    # Resident 3 (exposed at minute 765, isolated at 2160) and the people they met.
    Stay(3, 15, 600, 660),
    Stay(40, 15, 600, 660),  # before resident 3's exposure: not a secondary contact
    Stay(3, 15, 1080, 1140),
    Stay(41, 15, 1080, 1140),  # after it: secondary contact via 3
    Stay(3, 15, 2220, 2280),
    Stay(42, 15, 2220, 2280),  # after resident 3's isolation: not
    Stay(1, 15, 1200, 1260),
    Stay(3, 15, 1200, 1260),  # the case meets 3 again: a close contact, never its own
    Stay(4, 15, 1300, 1360),
    Stay(3, 15, 1300, 1360),  # two close contacts meet: neither is the other's secondary
    # Resident 20 (household contact, exposed from the window start, never isolated).
    Stay(20, 15, 1980, 2040),
    Stay(45, 15, 1980, 2040),
    # Point scans: a supermarket's 30-minute dwell estimate overlaps; a pharmacy's 10 does not.
    Stay(1, 16, 1320, None),
    Stay(50, 16, 1330, None),
    Stay(1, 17, 1380, None),
    Stay(51, 17, 1382, None),
    # The case alone at its office, its check-in scanned twice: never its own contact.
    Stay(1, 18, 600, 700),
    Stay(1, 18, 610, None),
    # Case 2 (resident 60), window day 1.
    Stay(60, 19, 1500, 1560),
    Stay(61, 19, 1500, 1530),
)

CASE_WINDOWS = pa.table(
    {
        "case_id": [1, 2],
        "resident_id": [1, 60],
        "window_start_s": [T0, T0 + DAY_MINUTES * MINUTE],
        "window_end_s": [T0 + 2 * DAY_MINUTES * MINUTE, T0 + 2 * DAY_MINUTES * MINUTE],
    },
    schema=schema.CASE_WINDOWS,
)
HOUSEHOLDS = pa.table(
    {"resident_id": [1, 20, 21, 3, 44], "household_id": [100, 100, 100, 300, 300]},
    schema=schema.HOUSEHOLDS,
)
CONTACT_ISOLATIONS = pa.table({"resident_id": [3], "isolated_at_s": [T0 + 2160 * MINUTE]})

# (case, contact, degree, rule, place, via, overlap start minute, overlap end minute)
EXPECTED = [
    (1, 3, 1, "co_location", 10, None, 765, 780),
    (1, 3, 1, "co_location", 15, None, 1200, 1260),
    (1, 4, 1, "co_location", 10, None, 720, 780),
    (1, 5, 1, "co_location", 11, None, 0, 20),
    (1, 9, 1, "co_location", 12, None, 2865, 2880),
    (1, 20, 1, "household", None, None, 0, 2880),
    (1, 21, 1, "household", None, None, 0, 2880),
    (1, 30, 1, "same_carriage", 13, None, 540, 600),
    (1, 50, 1, "co_location", 16, None, 1330, 1350),
    # Secondary: resident 2 met resident 3 after 3's exposure (34 minutes at the restaurant).
    (1, 2, 2, "co_location", 10, 3, 766, 800),
    (1, 7, 2, "co_location", 12, 9, 2870, 2900),
    (1, 31, 2, "co_location", 14, 30, 540, 660),
    (1, 41, 2, "co_location", 15, 3, 1080, 1140),
    (1, 44, 2, "household", None, 3, 765, 2160),
    (1, 45, 2, "co_location", 15, 20, 1980, 2040),
    (2, 61, 1, "co_location", 19, None, 1500, 1530),
]


def expected_rows() -> list[tuple[object, ...]]:
    """EXPECTED with times in epoch seconds and minutes, in CONTACTS_ORDER."""
    rows = []
    for case, contact, degree, rule, place, via, start, end in EXPECTED:
        case_resident = 1 if case == 1 else 60
        start_s, end_s = T0 + start * MINUTE, T0 + end * MINUTE
        minutes = (end_s - start_s) // MINUTE
        rows.append(
            (case, case_resident, contact, degree, rule, place, via, start_s, end_s, minutes)
        )
    return sorted(rows, key=_order_key)


def _order_key(row: tuple[object, ...]) -> tuple[object, ...]:
    # CONTACTS_ORDER with nulls last: (case, degree, contact, rule, place, via, start).
    case, _, contact, degree, rule, place, via, start, end, _ = row
    return (
        case,
        degree,
        contact,
        rule,
        place is None,
        place or 0,
        via is None,
        via or 0,
        start,
        end,
    )


def as_rows(contacts: pa.Table) -> list[tuple[object, ...]]:
    """The CONTACTS table as tuples, in the table's own order."""
    return [tuple(row.values()) for row in contacts.to_pylist()]


def events_table() -> pa.Table:
    """STAYS as the store export's event records: an "in", and an "out" for a stay."""
    rows = []
    for stay in STAYS:
        moments = [("in", stay.start)] + ([("out", stay.end)] if stay.end is not None else [])
        for direction, minute in moments:
            rows.append(
                {
                    "record_id": len(rows) + 1,
                    "kind": "rail" if stay.train else "checkin",
                    "direction": direction,
                    "resident_id": stay.resident,
                    "place_id": stay.place,
                    "occurred_at": (T0 + minute * MINUTE) * 1_000_000,
                    "train_number": stay.train,
                    "carriage": stay.carriage,
                }
            )
    events = pa.Table.from_pylist(rows)
    return events.set_column(
        events.schema.get_field_index("occurred_at"),
        "occurred_at",
        events.column("occurred_at").cast(pa.timestamp("us", tz="UTC")),
    )


def write_town(directory: Path) -> Path:
    """The town as an export folder: movements/ (one partition), places.parquet."""
    partition = directory / "movements" / "day=2020-01-20"
    partition.mkdir(parents=True, exist_ok=True)
    pq.write_table(events_table(), partition / "part-0.parquet")
    places = pa.table(
        {"id": list(PLACE_KINDS), "kind": list(PLACE_KINDS.values())},
        schema=pa.schema([("id", pa.int64()), ("kind", pa.string())]),
    )
    pq.write_table(places, directory / "places.parquet")
    return directory
