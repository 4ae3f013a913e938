"""The lottery is reproducible (same seed, same winners; anyone re-runs it from the published
record with plain SHA-256) and fair (each applicant's chance, checked at a loose bound)."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault
from epicontrol.supplies import lottery
from epicontrol.supplies.models import Allocation, MaskReservation, MaskRound
from tests.factories import City
from tests.supplies.support import (
    add_households,
    add_pharmacies,
    bearer,
    close_now,
    headers_for,
    open_round,
)

CLOSING = datetime(2020, 2, 10, 12, 0, tzinfo=UTC)


def test_same_seed_gives_the_same_winners_and_a_new_application_a_new_seed() -> None:
    applications = [lottery.Application(id=n, masks=5) for n in range(1, 41)]
    seed = lottery.seed_for(7, CLOSING, [a.id for a in applications])
    first = lottery.draw(seed, applications, supply=50)
    assert len(first) == 10
    assert lottery.draw(seed, list(reversed(applications)), supply=50) == first
    assert lottery.seed_for(7, CLOSING, [a.id for a in reversed(applications)]) == seed
    assert lottery.seed_for(7, CLOSING, [*range(1, 41), 99]) != seed
    assert lottery.seed_for(8, CLOSING, range(1, 41)) != seed


def test_draw_never_gives_out_more_than_the_supply() -> None:
    applications = [lottery.Application(id=n, masks=1 + n % 5) for n in range(1, 30)]
    seed = lottery.seed_for(1, CLOSING, [a.id for a in applications])
    drawn = lottery.draw(seed, applications, supply=23)
    masks = {a.id: a.masks for a in applications}
    assert sum(masks[i] for i in drawn) <= 23
    left_out = [a for a in applications if a.id not in drawn]
    assert all(a.masks > 23 - sum(masks[i] for i in drawn) for a in left_out)


def test_each_applicant_has_the_same_chance() -> None:
    # 12 households for 4 quotas, over 3,000 rounds: each should win about 1/3 of the time.
    # The standard error is 0.0086; the bound of 0.04 (4.6 sigma) fails only if something is off.
    rounds, applicants, winners = 3000, 12, 4
    wins: Counter[int] = Counter()
    for round_id in range(1, rounds + 1):
        applications = [lottery.Application(id=n, masks=2) for n in range(1, applicants + 1)]
        seed = lottery.seed_for(round_id, CLOSING, range(1, applicants + 1))
        wins.update(lottery.draw(seed, applications, supply=2 * winners))
    expected = winners / applicants
    rates = {applicant: wins[applicant] / rounds for applicant in range(1, applicants + 1)}
    assert all(abs(rate - expected) < 0.04 for rate in rates.values()), rates
    assert sum(wins.values()) == rounds * winners


def _recompute(record: dict[str, object]) -> list[int]:
    """What anyone does with the published record and sha256, no epicontrol code involved."""
    applications = sorted(record["applications"])  # type: ignore[type-var]
    closing = datetime.fromisoformat(str(record["closes_at"])).astimezone(UTC)
    text = f"{record['round_id']}|{closing:%Y-%m-%dT%H:%M:%SZ}|{','.join(map(str, applications))}"
    seed = hashlib.sha256(text.encode()).hexdigest()
    assert seed == record["seed"]
    ranked = sorted(applications, key=lambda n: hashlib.sha256(f"{seed}:{n}".encode()).hexdigest())
    masks: dict[str, int] = record["masks"]  # type: ignore[assignment]
    left, drawn = int(str(record["supply"])), []
    for number in ranked:
        if masks[str(number)] <= left:
            drawn.append(number)
            left -= masks[str(number)]
    return drawn


def test_lottery_round_draws_after_closing_and_publishes_a_reproducible_record(
    client: TestClient, city: City, db: Session, vault: PersonalDataVault
) -> None:
    pharmacies = add_pharmacies(db, city)
    round_id = open_round(
        db, city, [pharmacies["PH-M1"]], allocation=Allocation.LOTTERY, supply=6, quota=2
    )
    users = add_households(db, vault, city, 7)
    order = {"round_id": round_id, "place_id": pharmacies["PH-M1"]}
    for user_id in users:
        made = client.post("/api/supplies/reservations", json=order, headers=bearer(user_id))
        assert made.status_code == 201 and made.json()["status"] == "applied"
        assert made.json()["pickup_code"] is None
    officer = headers_for(db, "officer_m1")
    assert client.post(f"/api/supplies/rounds/{round_id}/draw", headers=officer).status_code == 409

    close_now(db, round_id)
    drawn = client.post(f"/api/supplies/rounds/{round_id}/draw", headers=officer)
    assert drawn.status_code == 200, drawn.text
    record = client.get(f"/api/public/supplies/rounds/{round_id}/draw").json()
    assert len(record["drawn"]) == 3 and len(record["applications"]) == 7
    assert _recompute(record) == record["drawn"]
    assert client.post(f"/api/supplies/rounds/{round_id}/draw", headers=officer).status_code == 409

    db.expire_all()
    stored = {r.id: r for r in db.scalars(select(MaskReservation))}
    assert Counter(r.status for r in stored.values()) == {"confirmed": 3, "not_drawn": 4}
    assert {i for i, r in stored.items() if r.pickup_code} == set(record["drawn"])
    assert db.scalar(select(MaskRound.reserved).where(MaskRound.id == round_id)) == 6
    # Everyone is told: a winner sees a code, the others "not drawn"; no more applications.
    statuses = {
        client.get("/api/supplies/reservations/mine", headers=bearer(u)).json()[0]["status"]
        for u in users
    }
    assert statuses == {"confirmed", "not_drawn"}
    late = client.post(
        "/api/supplies/reservations", json=order, headers=headers_for(db, "resident_wang")
    )
    assert late.status_code == 422


def test_the_documented_shell_example_gives_the_module_s_ranking() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "portal-masks.md").read_text(encoding="utf-8")
    assert '"42|2020-02-10T12:00:00Z|1,2,3,5,8"' in docs
    assert "application numbers 3 2 5 8 1" in docs
    numbers = [1, 2, 3, 5, 8]
    seed = lottery.seed_for(42, CLOSING, numbers)
    assert lottery.draw(seed, [lottery.Application(id=n, masks=1) for n in numbers], 5) == [
        3,
        2,
        5,
        8,
        1,
    ]
