"""Identities of residents in clear (resident ID numbers, names, phones), before protection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from epicontrol.demo import names
from epicontrol.demo.population import CHILD, GRANDCHILD, HEAD, SPOUSE, People

# GB 11643 weights and check characters, as in epicontrol.core.crypto, vectorised here.
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK_ASCII = np.frombuffer(b"10X98765432", dtype=np.uint8)

# Mobile prefixes of the three carriers (China Mobile, Unicom, Telecom).
_MOBILE_PREFIXES = np.array(
    [130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157,
     158, 159, 166, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188,
     189, 198, 199]
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Identities:
    """Clear identity fields; they only ever leave the generator hashed or encrypted."""

    id_number: np.ndarray  # 18-character resident IDs
    birth_year: np.ndarray
    name: np.ndarray
    phone: np.ndarray  # "" for people without a mobile (small children, some of the very old)


def _digits_to_text(digits: np.ndarray) -> np.ndarray:
    """Rows of ASCII codes to an array of str."""
    width = digits.shape[1]
    return (
        np.ascontiguousarray(digits, dtype=np.uint8).view(f"S{width}").ravel().astype(f"<U{width}")
    )


def resident_id_numbers(
    rng: np.random.Generator, region_code: np.ndarray, birth: np.ndarray, is_male: np.ndarray
) -> np.ndarray:
    """Valid, distinct GB 11643 numbers: region, birth date, sequence (odd for men), check."""
    n = len(birth)
    region_index = np.unique(region_code, return_inverse=True)[1]
    day_number = birth.astype("datetime64[D]").astype(np.int64)
    # People sharing region, birth date and sex get consecutive sequence numbers from a random
    # start, so no two share a number.
    key = (region_index.astype(np.int64) << 32) | ((day_number + 100_000) << 1) | is_male
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    group_start = np.searchsorted(sorted_key, sorted_key)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - group_start
    if rank.max(initial=0) >= 500:
        raise ValueError("too many people share a birth date to number them uniquely")
    offset = np.empty(n, dtype=np.int64)
    offset[order] = rng.integers(0, 500, n)[group_start]
    sequence = 2 * ((offset + rank) % 500) + is_male.astype(np.int64)

    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    months = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    digits = np.empty((n, 17), dtype=np.int64)
    region_digits = np.frombuffer("".join(region_code.tolist()).encode(), dtype=np.uint8)
    digits[:, :6] = region_digits.reshape(n, 6) - 48
    for position, (values, width) in enumerate(((years, 4), (months, 2), (days, 2), (sequence, 3))):
        start = (6, 10, 12, 14)[position]
        for k in range(width):
            digits[:, start + k] = values // 10 ** (width - 1 - k) % 10
    check = _ID_CHECK_ASCII[(digits @ _ID_WEIGHTS) % 11]
    return _digits_to_text(np.column_stack([digits + 48, check]))


def mobile_numbers(rng: np.random.Generator, has_phone: np.ndarray) -> np.ndarray:
    """Distinct mobile numbers 1[3-9]x xxxx xxxx for those with a phone, "" for the rest."""
    n = int(has_phone.sum())
    numbers = np.empty(0, dtype=np.int64)
    while len(numbers) < n:
        draw = rng.choice(_MOBILE_PREFIXES, n) * 10**8 + rng.integers(0, 10**8, n)
        _, first = np.unique(np.concatenate([numbers, draw]), return_index=True)
        numbers = np.concatenate([numbers, draw])[np.sort(first)][:n]
    phone = np.full(len(has_phone), "", dtype="<U11")
    phone[has_phone] = numbers.astype("<U11")
    return phone


def build_identities(
    rng: np.random.Generator,
    people: People,
    region_code: np.ndarray,
    reference: date,
) -> Identities:
    """ID numbers, names and phones consistent with each resident's age, sex and family."""
    n = len(people.age)
    reference = min(reference, date.today())
    days_old = (people.age * 365.2425 + rng.uniform(0, 365, n)).astype(np.int64)
    birth = np.datetime64(reference, "D") - days_old
    birth_year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    id_number = resident_id_numbers(rng, region_code, birth, people.is_male)

    # Children take the family name of the father: the head if a man, else his wife's husband.
    own = names.draw_surnames(rng, n)
    first_row = np.flatnonzero(people.role == HEAD)
    head_surname = own[first_row][people.household]
    head_male = people.is_male[first_row][people.household]
    spouse_rows = np.flatnonzero(people.role == SPOUSE)
    family = own[first_row].copy()
    husband = spouse_rows[people.is_male[spouse_rows]]
    family[people.household[husband]] = own[husband]
    family_surname = np.where(head_male, head_surname, family[people.household])
    inherits = (people.role == CHILD) | (people.role == GRANDCHILD)
    surname = np.where(inherits, family_surname, own)
    name = names.person_names(rng, surname, people.is_male, birth_year)

    # Mobile ownership: almost every adult, some teenagers, fewer of the very old (CNNIC 2020).
    phone_share = np.select(
        [people.age < 10, people.age < 16, people.age < 76, people.age < 86],
        [0.0, 0.5, 0.98, 0.75],
        default=0.4,
    )
    phone = mobile_numbers(rng, rng.random(n) < phone_share)
    return Identities(id_number=id_number, birth_year=birth_year, name=name, phone=phone)
