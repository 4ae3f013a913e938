"""The mask lottery: a published seed and a ranking anyone can recompute with sha256sum.

Why not numpy's Generator or random.Random: neither promises the same shuffle from the same seed
across versions (NEP 19; the `random` docs guarantee only `random()` itself), and a draw must be
checkable by anyone, years later, in any language. SHA-256 gives that:

    seed   = sha256("<round id>|<closing time, UTC, YYYY-MM-DDTHH:MM:SSZ>|<application ids,
             ascending, comma-separated>")
    ticket = sha256("<seed>:<application id>")      (both as lowercase hex)

Applications are ranked by ticket, smallest first, and go down the ranking taking their masks
while the supply lasts (one that no longer fits is passed over, so smaller ones may still fit).
The seed depends on every application, so it is unknown until reservations close and the officer
drawing has nothing to choose; each application's ticket is an independent uniform draw, so with
equal quotas every household has the same chance, (supply // quota) / applications.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class Application:
    """One household's application in a lottery round: its public number and masks wanted."""

    id: int
    masks: int


def seed_for(round_id: int, closes_at: datetime, application_ids: Iterable[int]) -> str:
    """The published seed of a round's draw (hex SHA-256)."""
    closing = closes_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    numbers = ",".join(str(number) for number in sorted(application_ids))
    return _sha256(f"{round_id}|{closing}|{numbers}")


def ticket(seed: str, application_id: int) -> str:
    """An application's ticket: where it ranks in the draw (smaller is earlier)."""
    return _sha256(f"{seed}:{application_id}")


def draw(seed: str, applications: Sequence[Application], supply: int) -> list[int]:
    """The ids of the applications drawn, in ranking order, for `supply` masks."""
    left = supply
    drawn: list[int] = []
    for application in sorted(applications, key=lambda a: ticket(seed, a.id)):
        if application.masks <= left:
            drawn.append(application.id)
            left -= application.masks
    return drawn


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
