"""Record-linkage parameters: thresholds, Fellegi-Sunter m/u priors, blocking, upload limits.

The model is Fellegi-Sunter as implemented by Splink: each comparison level contributes
log2(m/u) to a match weight, added to the prior log2(lambda / (1 - lambda)); the match
probability is 2^w / (1 + 2^w). Splink's documentation ("The Fellegi-Sunter model",
moj-analytical-services.github.io/splink/topic_guides/theory/fellegi_sunter.html) gives the
arithmetic. The figures in bench/RESULTS.md (bench/bench_linkage.py) were measured with these
defaults; change them per deployment with the benchmark in hand.
"""

from __future__ import annotations

from dataclasses import dataclass

# Sources a record may come from (the `source` column); uploads may name any of them.
SOURCES = ("clinic_registration", "medical_record", "inspection")

# A pair at or above AUTO_LINK is linked without a person looking at it, provided no second
# candidate of the same record also reaches it (twins, a shared family phone); a pair between
# REVIEW and AUTO_LINK goes to the clerical review queue; below REVIEW the pair is dropped.
AUTO_LINK_PROBABILITY = 0.99
REVIEW_PROBABILITY = 0.2
# At most this many candidates of one record are queued for review, best first.
REVIEW_CANDIDATES_PER_RECORD = 3

# Share of incoming records that belong to some registered resident (the rest are visitors,
# people registered elsewhere). The prior of a pair is this share divided by the number of
# candidate residents: a record matches at most one of them.
SHARE_OF_RECORDS_IN_REGISTER = 0.9

# Upload limits: a clinic's or an inspection team's daily extract fits easily.
MAX_UPLOAD_BYTES = 2_000_000
MAX_UPLOAD_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class Level:
    """One comparison level: its label, SQL condition on the `_l`/`_r` columns, m and u."""

    label: str
    condition: str
    m: float
    u: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """A compared field and its levels from the most to the least similar (a null level first
    is added by the engine: a missing field neither adds nor removes weight). `column` is the
    input column the levels read, when it is not the field itself."""

    field: str
    levels: tuple[Level, ...]
    column: str = ""

    @property
    def input_column(self) -> str:
        """The column of the engine's input tables that this comparison reads."""
        return self.column or self.field


def _edits(field: str, most: int, function: str = "damerau_levenshtein") -> str:
    return f'{function}("{field}_l", "{field}_r") <= {most}'


def _exact(field: str) -> str:
    return f'"{field}_l" = "{field}_r"'


# Fixed priors, chosen by hand (the training data to estimate them is thin: a clinic sends
# tens of records a day and nobody has labelled pairs yet).
# m (share of true matches at the level) follows the error kinds seen in hand-typed forms:
# one wrong or swapped character is by far the most common slip; a wrong check digit is one
# substitution, a swapped pair one transposition, so both fall in "1 edit" (Damerau).
# u (share of non-matches at the level) is the chance agreement of two different people:
# ID numbers are unique (GB 11643), phones nearly so but shared within families, birth dates
# spread over ~80 years, full Chinese names repeat often (hence a comparatively high u).
# The birth date is counted once: the ID comparison reads only the ID's other characters
# (`id_rest`: region code, sequence number, check digit; engine.id_rest), since the birth date
# in the ID is what the birth-date comparison already weighs. Compared whole, an ID one digit
# off a co-born stranger's (same county, same day) scored both "ID 1 edit" and "birth date
# exact", and a record with a different name was auto-linked (bench, 100,000 residents).
# u of the rest follows from it: same county, same 3-digit sequence (about 1 in 1,000 of the
# co-regional), within 1 edit about ten times as often.
# There is no "2 edits" level on purpose: co-born people of one county have rests two edits
# apart (sequence digit and check digit), common among the pairs blocking brings together.
# Names are compared by characters (name_edits, a UDF), not bytes: DuckDB's edit distances
# count UTF-8 bytes, which makes 建/健 two or three edits.
COMPARISONS = (
    Comparison(
        "name",
        (
            Level("exact", _exact("name"), m=0.88, u=0.001),
            Level("1 character differs", _edits("name", 1, "name_edits"), m=0.09, u=0.01),
            Level("different", "ELSE", m=0.03, u=0.989),
        ),
    ),
    Comparison(
        "id_number",
        (
            Level("region, sequence, check same", _exact("id_rest"), m=0.85, u=3e-4),
            Level("1 digit wrong or 2 swapped", _edits("id_rest", 1), m=0.12, u=3e-3),
            Level("different", "ELSE", m=0.03, u=0.9967),
        ),
        column="id_rest",
    ),
    Comparison(
        "birth_date",
        (
            Level("exact", _exact("birth_date"), m=0.93, u=5e-5),
            Level("1 digit wrong or 2 swapped", _edits("birth_date", 1), m=0.05, u=1e-3),
            Level("different", "ELSE", m=0.02, u=0.99895),
        ),
    ),
    Comparison(
        "phone",
        (
            Level("exact", _exact("phone"), m=0.85, u=1e-4),
            Level("1 digit wrong or 2 swapped", _edits("phone", 1), m=0.08, u=1e-5),
            Level("different", "ELSE", m=0.07, u=0.99989),
        ),
    ),
    Comparison(
        "sex",
        (
            Level("same", _exact("sex"), m=0.98, u=0.5),
            Level("different", "ELSE", m=0.02, u=0.5),
        ),
    ),
)

# u estimated by Splink's random sampling (engine.score(estimate_u=True)) draws this many
# record-resident pairs; bench/bench_linkage.py --estimate-u compares it with the priors.
U_SAMPLE_PAIRS = 1_000_000

# Candidate pairs are only scored within these blocks (a union: a pair sharing any one is
# scored). One typo rarely breaks all of them at once: a mistyped ID still shares the phone
# or the name, a changed phone still shares the birth date. Each block stays small in a city
# register (a birth date is shared by a few dozen people per million), so the work grows
# with the number of records, not with records x residents.
BLOCKING_FIELDS = (("birth_date",), ("phone",), ("name",), ("id_number",))
