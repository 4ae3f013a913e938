"""Parameters of movement recording, each with its source; configurable per deployment."""

from __future__ import annotations

from datetime import timedelta

# Checkpoints in China in 2020 referred anyone at or above 37.3 °C (forehead/ear) for a second
# measurement and to a fever clinic (NHC prevention and control guideline, 5th edition).
FEVER_THRESHOLD_CELSIUS = 37.3
# Readings outside this range are device errors, not people: refused as bad input.
PLAUSIBLE_TEMPERATURE = (30.0, 45.0)

# A venue check-in without a check-out is closed automatically after this dwell
# (SafeEntry and Corona-Warn-App ask for check-out and assume a few hours at most).
DEFAULT_AUTO_CHECKOUT = timedelta(hours=3)
AUTO_CHECKOUT_BY_PLACE_KIND: dict[str, timedelta] = {
    "restaurant": timedelta(hours=2),
    "supermarket": timedelta(hours=1),
    "market": timedelta(hours=1),
    "pharmacy": timedelta(minutes=30),
    "workplace": timedelta(hours=10),
    "office": timedelta(hours=10),
    "school": timedelta(hours=9),
}

# Movement records are kept 28 days by default (DESIGN.md: SafeEntry kept 25, CWA 14; two
# incubation periods cover contact tracing back from a late-diagnosed case).
RETENTION_DAYS = 28

# A device may upload what it stored offline; older than this it is refused as implausible.
MAX_OFFLINE_AGE = timedelta(days=RETENTION_DAYS)
# Device clocks drift: a scan up to this far in the future is accepted.
MAX_CLOCK_SKEW = timedelta(minutes=5)

MAX_BATCH = 10_000


def auto_checkout_after(place_kind: str) -> timedelta:
    """How long a check-in at a place of this kind counts as present without a check-out."""
    return AUTO_CHECKOUT_BY_PLACE_KIND.get(place_kind, DEFAULT_AUTO_CHECKOUT)
