"""Arrow tables of a generated city, personal fields hashed and encrypted; both sinks use them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from epicontrol.core.crypto import PersonalDataVault
from epicontrol.demo.city import City, Simulation
from epicontrol.demo.movements import KIND_NAMES, DayMovements, local_midnight
from epicontrol.demo.names import masked_names
from epicontrol.demo.outbreak import SETTINGS

TIMESTAMP = pa.timestamp("us", tz="UTC")
RESIDENT_BATCH_ROWS = 50_000


def _ids(rows: np.ndarray) -> pa.Array:
    """Row indices (-1 for none) as nullable 1-based ids."""
    rows = np.asarray(rows, dtype=np.int64)
    return pa.array(rows + 1, type=pa.int64(), mask=rows < 0)


def _timestamps(seconds: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(seconds, dtype=np.int64) * 1_000_000, type=TIMESTAMP, mask=missing)


def _dates(days_since_start: np.ndarray, city: City, missing: np.ndarray | None = None) -> pa.Array:
    epoch_day = (city.start - datetime(1970, 1, 1).date()).days
    values = np.asarray(days_since_start, dtype=np.int64) + epoch_day
    return pa.array(
        np.where(missing if missing is not None else False, 0, values).astype(np.int32),
        type=pa.date32(),
        mask=missing,
    )


def divisions_table(city: City) -> pa.Table:
    """The `divisions` table."""
    d = city.divisions
    return pa.table(
        {
            "id": pa.array(d.id, type=pa.int64()),
            "code": d.code,
            "name": d.name,
            "name_pinyin": d.name_pinyin,
            "level": d.level,
            "parent_id": _ids(d.parent_row),
            "path": d.path,
            "latitude": d.latitude,
            "longitude": d.longitude,
        }
    )


def estates_table(city: City) -> pa.Table:
    """The `housing_estates` table."""
    e = city.estates
    return pa.table(
        {
            "id": pa.array(e.id, type=pa.int64()),
            "name": e.name,
            "name_pinyin": e.name_pinyin,
            "address": e.address,
            "division_id": _ids(city.divisions.community_rows[e.community]),
            "latitude": e.latitude,
            "longitude": e.longitude,
        }
    )


def places_table(city: City) -> pa.Table:
    """The `places` table."""
    p = city.places
    return pa.table(
        {
            "id": pa.array(p.id, type=pa.int64()),
            "code": p.code,
            "name": p.name,
            "kind": p.kind,
            "division_id": _ids(city.divisions.community_rows[np.array(p.community)]),
            "estate_id": _ids(np.array(p.estate)),
            "address": p.address,
            "latitude": p.latitude,
            "longitude": p.longitude,
        }
    )


def households_table(city: City, vault: PersonalDataVault) -> pa.Table:
    """The `households` table; the flat address only encrypted, its full form only hashed."""
    h = city.households
    return pa.table(
        {
            "id": pa.array(h.id, type=pa.int64()),
            "division_id": _ids(city.divisions.grid_rows[h.grid]),
            "estate_id": _ids(h.estate),
            "address_enc": pa.array([vault.encrypt(a) for a in h.address], type=pa.binary()),
            "address_hash": [vault.lookup_hash("address", a) for a in h.full_address],
        }
    )


def resident_batches(
    city: City, vault: PersonalDataVault, batch_rows: int = RESIDENT_BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """The `residents` table in batches, so that a million ciphertexts never sit in memory."""
    people, ids = city.people, city.identities
    division_id = city.divisions.id[city.resident_grid_row]
    registered = local_midnight(city.start)
    for low in range(0, len(people.age), batch_rows):
        high = min(low + batch_rows, len(people.age))
        number = ids.id_number[low:high].tolist()
        name = ids.name[low:high]
        phone = ids.phone[low:high].tolist()
        yield pa.RecordBatch.from_pydict(
            {
                "id": pa.array(np.arange(low + 1, high + 1), type=pa.int64()),
                "division_id": pa.array(division_id[low:high], type=pa.int64()),
                "household_id": pa.array(people.household[low:high] + 1, type=pa.int64()),
                "id_number_hash": [vault.lookup_hash("id", x) for x in number],
                "id_number_enc": pa.array([vault.encrypt(x) for x in number], type=pa.binary()),
                "name_enc": pa.array([vault.encrypt(x) for x in name.tolist()], type=pa.binary()),
                "name_masked": masked_names(name),
                "phone_hash": [vault.lookup_hash("phone", x) if x else None for x in phone],
                "phone_enc": pa.array(
                    [vault.encrypt(x) if x else None for x in phone], type=pa.binary()
                ),
                "sex": np.where(people.is_male[low:high], "M", "F"),
                "birth_year": pa.array(ids.birth_year[low:high], type=pa.int64()),
                "occupation": people.occupation[low:high],
                "source": pa.array(["demo"] * (high - low)),
                "import_id": pa.nulls(high - low, type=pa.int64()),
                "registered_at": _timestamps(np.full(high - low, registered)),
            }
        )


def movements_table(moves: DayMovements, first_record_id: int) -> pa.Table:
    """One day's movement records; `left_at` is null for point scans."""
    count = len(moves)
    epoch_day = (moves.day - datetime(1970, 1, 1).date()).days
    return pa.table(
        {
            "record_id": pa.array(
                np.arange(first_record_id, first_record_id + count), type=pa.int64()
            ),
            "resident_id": pa.array(moves.resident + 1, type=pa.int64()),
            "place_id": pa.array(moves.place + 1, type=pa.int64()),
            "kind": pc.take(pa.array(KIND_NAMES), pa.array(moves.kind)),
            "entered_at": _timestamps(moves.entered),
            "left_at": _timestamps(moves.left, moves.left < 0),
            "day": pa.array(np.full(count, epoch_day, dtype=np.int32), type=pa.date32()),
        }
    )


def ground_truth_table(simulation: Simulation) -> pa.Table:
    """Every infection in order: who infected whom, where (place or household), when."""
    o, city = simulation.outbreak, simulation.city
    rows = np.concatenate(o.order) if o.order else np.empty(0, dtype=np.int64)
    exposure_day = (o.exposure_at[rows] - local_midnight(city.start)) // 86_400
    asymptomatic = ~o.symptomatic[rows]
    return pa.table(
        {
            "infectee_id": _ids(rows),
            "infector_id": _ids(o.infector[rows]),
            "setting": pc.take(pa.array(SETTINGS), pa.array(o.setting[rows])),
            "place_id": _ids(o.place[rows]),
            "exposure_at": _timestamps(o.exposure_at[rows]),
            "exposure_date": _dates(exposure_day, city),
            "onset_at": _timestamps(o.onset_at[rows], asymptomatic),
            "onset_date": _dates(o.onset_day[rows], city, asymptomatic),
            "is_symptomatic": o.symptomatic[rows],
            "generation": pa.array(o.generation[rows], type=pa.int64()),
            "infectious_from": _dates(np.maximum(o.infectious_from[rows], exposure_day), city),
        }
    )


def cases_table(simulation: Simulation) -> pa.Table:
    """Cases a surveillance system would have by the last day: symptomatic and reported."""
    o, city = simulation.outbreak, simulation.city
    last = city.spec.days - 1
    rows = np.flatnonzero(o.report_day <= last)
    rows = rows[np.lexsort((rows, o.report_day[rows]))]
    # A case reported on the last day is still awaiting its test result.
    status = np.where(o.report_day[rows] < last, "confirmed", "suspected")
    return pa.table(
        {
            "resident_id": _ids(rows),
            "onset_date": _dates(o.onset_day[rows], city),
            "report_date": _dates(o.report_day[rows], city),
            "status": status,
            "reported_at_place_id": _ids(o.report_place[rows]),
        }
    )
