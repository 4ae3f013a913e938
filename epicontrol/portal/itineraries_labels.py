"""Words shown for stored codes (place kinds, record kinds, in/out, sex), as message ids.

`N_` marks a string for extraction (tests/portal/test_translations.py) without translating it
at import: templates translate at render time with `_()`.
"""

from __future__ import annotations

from types import MappingProxyType


def N_(message: str) -> str:  # noqa: N802  (the gettext convention)
    """Mark `message` for translation later."""
    return message


PLACE_KINDS = MappingProxyType(
    {
        "community_gate": N_("Community gate"),
        "venue": N_("Venue"),
        "market": N_("Market"),
        "supermarket": N_("Supermarket"),
        "restaurant": N_("Restaurant"),
        "railway_station": N_("Railway station"),
        "bus_station": N_("Bus station"),
        "metro_station": N_("Metro station"),
        "expressway_exit": N_("Expressway exit"),
        "clinic": N_("Clinic"),
        "fever_clinic": N_("Fever clinic"),
        "hospital": N_("Hospital"),
        "pharmacy": N_("Pharmacy"),
        "workplace": N_("Workplace"),
        "school": N_("School"),
        "office": N_("Office"),
    }
)
RECORD_KINDS = MappingProxyType(
    {
        "scan": N_("Checkpoint scan"),
        "checkin": N_("Venue check-in"),
        "rail": N_("Railway ID check"),
        "vehicle": N_("Vehicle record"),
        "generic": N_("Other record"),
        "investigation": N_("Told to an investigator"),
    }
)
DIRECTIONS = MappingProxyType({"in": N_("In"), "out": N_("Out"), "": N_("Passed")})
SEXES = MappingProxyType({"M": N_("Male"), "F": N_("Female")})


def label(table: MappingProxyType[str, str], code: str | None) -> str:
    """The message id of `code` in `table` (the code itself when unknown)."""
    return table.get(code or "", code or "")
