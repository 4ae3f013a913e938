"""Households of a register import: rows sharing a 户号 (household_ref) in a grid live together."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault
from epicontrol.people import import_store
from epicontrol.people.import_validate import Validation

_NO_HOUSEHOLD = ""  # the key of rows with neither a 户号 nor an address


def assign_households(
    session: Session,
    writer: import_store.RegisterWriter,
    validation: Validation,
    vault: PersonalDataVault,
) -> list[int | None]:
    """Household id of each valid row, creating the households that are not stored yet."""
    keys = _household_keys(validation)
    # Comprehensions over the whole file, not a loop with branches: this runs on a million rows.
    households = list(dict.fromkeys(keys))  # each household once, in order of first appearance
    values, valid = validation.values, validation.valid
    division_of = {key: values.division_id[i] for key, i in zip(keys, valid, strict=True)}
    # Walking the rows backwards leaves each household with the first address the file gives.
    address_of = {
        key: values.address[i]
        for key, i in zip(reversed(keys), reversed(valid), strict=True)
        if values.address[i]
    }

    # The reference is hashed with its grid code, so 户号 "12" in two grids are two households,
    # and a later import of the same grid and 户号 finds the household again.
    lookup_hash = vault.lookup_hash
    ref_hash_of = {
        key: lookup_hash("household_ref", key) for key in households if _is_reference(key)
    }
    known = import_store.households_by_ref_hash(session, sorted(ref_hash_of.values()))
    id_of: dict[str, int | None] = {_NO_HOUSEHOLD: None}
    new: list[str] = []
    for key in households:
        ref_hash = ref_hash_of.get(key)
        if ref_hash is not None and ref_hash in known:
            id_of[key] = known[ref_hash]  # its stored address is left as it is
        elif key != _NO_HOUSEHOLD:
            new.append(key)

    if writer.sort_by_hash:
        new.sort(key=lambda key: ref_hash_of.get(key, ""))
    new_ids = writer.reserve_household_ids(len(new)) if new else []
    encrypt = vault.encrypt
    rows: list[tuple[int, int, bytes | None, str | None]] = []
    for household_id, key in zip(new_ids, new, strict=True):
        id_of[key] = household_id
        address = address_of.get(key)
        rows.append(
            (
                household_id,
                division_of[key],
                encrypt(address) if address else None,
                ref_hash_of.get(key),
            )
        )
    writer.insert_households(rows)
    return [id_of[key] for key in keys]


def _household_keys(validation: Validation) -> list[str]:
    """A key per valid row: "<grid code>:<户号>", or a key of its own, or _NO_HOUSEHOLD."""
    values = validation.values
    codes, refs, addresses = values.division_code, values.household_ref, values.address
    return [
        f"{codes[i]}:{refs[i]}"
        if refs[i]
        # An address without a 户号 is a household of its own, so that the address is kept.
        else (f"\x00{i}" if addresses[i] else _NO_HOUSEHOLD)
        for i in validation.valid
    ]


def _is_reference(key: str) -> bool:
    return key != _NO_HOUSEHOLD and not key.startswith("\x00")
