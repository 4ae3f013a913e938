"""Chains of transmission: link each case to the cases it was a close contact of, and pick one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY_S = 86_400
NO_DATE = int(np.iinfo(np.int32).min)  # a missing date, as days since the epoch

# The cases to link. A case needs a reference date, its onset or, for an asymptomatic case, the
# date it was sampled; a case with neither cannot be placed in time and is not linked.
CASES = pa.schema(
    [
        ("case_id", pa.int64()),
        ("resident_id", pa.int64()),
        ("onset_date", pa.date32()),
        ("sampling_date", pa.date32()),  # optional column
    ]
)

# One row per (infectee, candidate infector) pair whose exposure and dates fit the rules.
INFECTOR_LINKS = pa.schema(
    [
        ("infectee_case_id", pa.int64()),
        ("infector_case_id", pa.int64()),
        ("exposure_start_s", pa.int64()),  # the first exposure that fits the incubation period
        ("serial_interval_days", pa.int32()),  # reference date of infectee minus infector's
        ("incubation_days", pa.int32()),  # infectee's reference date minus exposure date
        ("score", pa.float64()),
        ("is_best", pa.bool_()),
        ("is_household", pa.bool_()),  # tie-break 1: a household exposure
        ("minutes", pa.int64()),  # tie-break 2: total minutes of the fitting exposures
    ]
)


@dataclass(frozen=True, slots=True)
class ChainRules:
    """When a case's earlier contact with another case can be where it was infected."""

    # Incubation: "on average 5-6 days, however can be as long as 14 days" (WHO, COVID-19
    # situation report 73, 2 April 2020); 97.5% within 11.5 days (Lauer et al., Ann Intern
    # Med 2020). Symptoms the day of exposure are not from that exposure.
    incubation_min_days: int = 1
    incubation_max_days: int = 14
    # Serial interval: mean 3.96 d, SD 4.75, and 12.6% negative, i.e. the infectee fell ill
    # first, from pre-symptomatic transmission (Du et al., Emerg Infect Dis 26(6), 2020, 468
    # pairs in China). -3..14 days keeps most of that distribution and rejects the implausible.
    serial_interval_min_days: int = -3
    serial_interval_max_days: int = 14
    # Scoring: closeness to the mean serial interval, 4.7 d (SD 2.9) in Nishiura, Linton and
    # Akhmetzhanov, Int J Infect Dis 93:284, 2020 (28 infector-infectee pairs).
    serial_interval_mean_days: float = 4.7
    serial_interval_sd_days: float = 2.9
    # Onset and sampling dates are local calendar dates; exposures are epoch seconds (UTC).
    utc_offset_hours: int = 8  # China Standard Time, no daylight saving

    def __post_init__(self) -> None:
        if self.incubation_min_days > self.incubation_max_days:
            raise ValueError("incubation_min_days must not exceed incubation_max_days")
        if self.serial_interval_min_days > self.serial_interval_max_days:
            raise ValueError("serial_interval_min_days must not exceed serial_interval_max_days")
        if self.serial_interval_sd_days <= 0:
            raise ValueError("serial_interval_sd_days must be positive")


def reference_days(cases: pa.Table) -> np.ndarray:
    """Days since the epoch of each case's onset, else its sampling date; NO_DATE when neither."""
    days = _date_days(cases, "onset_date")
    if "sampling_date" in cases.column_names:
        sampled = _date_days(cases, "sampling_date")
        days = np.where(days == NO_DATE, sampled, days)
    return days


def _date_days(table: pa.Table, column: str) -> np.ndarray:
    values = table.column(column).cast(pa.date32()).cast(pa.int32())
    return np.asarray(values.fill_null(NO_DATE).to_numpy(), dtype=np.int64)


def link_infectors(
    contacts: pa.Table, cases: pa.Table, rules: ChainRules | None = None
) -> pa.Table:
    """Candidate infectors of every case (INFECTOR_LINKS), sorted by infectee, best first.

    A candidate is a case of which the infectee was a close contact (degree 1) with an exposure
    `e` such that incubation (infectee's reference date - date of `e`) and serial interval
    (infectee's reference date - infector's) lie within `rules`; `e` is the first moment of an
    overlap that fits. Several fitting exposures of one pair count as one candidate, dated by
    the first of them.

    Score: exp(-z**2 / 2) with z = (serial interval - mean) / SD, the normal density of the
    serial interval relative to its peak: 1.0 at the mean, comparable across infectees. The best
    candidate of an infectee has the highest score, then a household exposure, then the most
    minutes together, then the smallest infector case id: the outcome never depends on row order.
    """
    rules = rules or ChainRules()
    known = cases.select(["case_id", "resident_id"]).append_column(
        "reference_day", pa.array(reference_days(cases), pa.int64())
    )
    known = known.filter(pc.not_equal(known.column("reference_day"), NO_DATE))
    close = contacts.filter(pc.equal(contacts.column("degree"), 1)).select(
        ["case_id", "contact_resident_id", "rule", "overlap_start_s", "overlap_end_s", "minutes"]
    )
    pairs = close.join(
        known.rename_columns(["infectee_case_id", "contact_resident_id", "infectee_day"]),
        keys="contact_resident_id",
        join_type="inner",
    ).join(
        known.select(["case_id", "reference_day"]).rename_columns(["case_id", "infector_day"]),
        keys="case_id",
        join_type="inner",
    )
    pairs = _fitting_exposures(pairs, rules)
    return _rank(_per_pair(pairs), rules)


def _fitting_exposures(pairs: pa.Table, rules: ChainRules) -> pa.Table:
    """Exposure rows whose incubation and serial interval are plausible, each dated by its first
    moment that fits: a household overlap of ten days may start too early yet end in time."""
    offset = rules.utc_offset_hours * 3600
    start = pairs.column("overlap_start_s").to_numpy(zero_copy_only=False)
    end = pc.coalesce(pairs.column("overlap_end_s"), pairs.column("overlap_start_s"))
    end = end.to_numpy(zero_copy_only=False)
    infectee_day = pairs.column("infectee_day").to_numpy()
    # Local days on which an exposure could have caused the infectee's onset.
    earliest_day = infectee_day - rules.incubation_max_days
    latest_day = infectee_day - rules.incubation_min_days
    exposure_s = np.maximum(start, earliest_day * DAY_S - offset)
    serial = infectee_day - pairs.column("infector_day").to_numpy()
    keep = (
        ((start + offset) // DAY_S <= latest_day)
        & ((end + offset) // DAY_S >= earliest_day)
        & (serial >= rules.serial_interval_min_days)
        & (serial <= rules.serial_interval_max_days)
        & (pairs.column("case_id").to_numpy() != pairs.column("infectee_case_id").to_numpy())
    )
    table = pa.table(
        {
            "infectee_case_id": pairs.column("infectee_case_id"),
            "infector_case_id": pairs.column("case_id"),
            "exposure_start_s": pa.array(exposure_s, pa.int64()),
            "infectee_day": pairs.column("infectee_day"),
            "serial_interval_days": pa.array(serial, pa.int64()),
            "is_household": pc.equal(pairs.column("rule"), "household"),
            "minutes": pairs.column("minutes").fill_null(0),
        }
    )
    return table.filter(pa.array(keep, pa.bool_()))


def _per_pair(rows: pa.Table) -> pa.Table:
    """One row per (infectee, infector): first fitting exposure, any household, total minutes."""
    grouped = rows.group_by(["infectee_case_id", "infector_case_id"], use_threads=False).aggregate(
        [
            ("exposure_start_s", "min"),
            ("infectee_day", "min"),
            ("serial_interval_days", "min"),
            ("is_household", "any"),
            ("minutes", "sum"),
        ]
    )
    return grouped.rename_columns(
        [
            "infectee_case_id",
            "infector_case_id",
            "exposure_start_s",
            "infectee_day",
            "serial_interval_days",
            "is_household",
            "minutes",
        ]
    )


def _rank(pairs: pa.Table, rules: ChainRules) -> pa.Table:
    infectee = pairs.column("infectee_case_id").to_numpy()
    infector = pairs.column("infector_case_id").to_numpy()
    start = pairs.column("exposure_start_s").to_numpy()
    serial = pairs.column("serial_interval_days").to_numpy()
    household = pairs.column("is_household").to_numpy(zero_copy_only=False).astype(bool)
    minutes = pairs.column("minutes").to_numpy()
    offset = rules.utc_offset_hours * 3600
    incubation = pairs.column("infectee_day").to_numpy() - (start + offset) // DAY_S
    z = (serial - rules.serial_interval_mean_days) / rules.serial_interval_sd_days
    # Rounded so that equal serial intervals give bit-equal scores and the tie-breaks decide.
    score = np.round(np.exp(-0.5 * z * z), 12)
    order = np.lexsort((infector, -minutes, ~household, -score, infectee))
    infectee = infectee[order]
    is_best = np.ones(len(order), dtype=bool)
    is_best[1:] = infectee[1:] != infectee[:-1]
    return pa.table(
        [
            pa.array(infectee, pa.int64()),
            pa.array(infector[order], pa.int64()),
            pa.array(start[order], pa.int64()),
            pa.array(serial[order], pa.int32()),
            pa.array(incubation[order], pa.int32()),
            pa.array(score[order], pa.float64()),
            pa.array(is_best, pa.bool_()),
            pa.array(household[order], pa.bool_()),
            pa.array(minutes[order], pa.int64()),
        ],
        schema=INFECTOR_LINKS,
    )


def best_links(links: pa.Table) -> pa.Table:
    """Only the best candidate of each infectee."""
    return links.filter(links.column("is_best"))


@dataclass(frozen=True, slots=True)
class ChainOrder:
    """Cases in display order: a depth-first walk of the best-infector tree, roots by date."""

    case_id: list[int]
    day: dict[int, int]  # onset, sampling or first exposure day, days since the epoch
    infector: dict[int, int]  # best infector inside the cluster
    generation: dict[int, int]  # 0 for a case with no known infector in the cluster


def chain_order(
    cases: pa.Table,
    contacts: pa.Table,
    links: pa.Table | None,
    rules: ChainRules | None = None,
) -> ChainOrder:
    """Order cases so that an infector's infectees follow it, each subtree by date then id."""
    rules = rules or ChainRules()
    ids = cases.column("case_id").to_pylist()
    day = dict(zip(ids, reference_days(cases).tolist(), strict=True))
    first_exposure = _first_exposure_days(contacts, rules)
    known = [d for d in day.values() if d != NO_DATE]
    fallback = min(known) if known else 0
    for case in ids:
        if day[case] == NO_DATE:
            day[case] = first_exposure.get(case, fallback)
    infector: dict[int, int] = {}
    if links is not None:
        best = links.filter(links.column("is_best"))
        for infectee, source in zip(
            best.column("infectee_case_id").to_pylist(),
            best.column("infector_case_id").to_pylist(),
            strict=True,
        ):
            if source in day and infectee in day:
                infector[infectee] = source
    children: dict[int, list[int]] = {}
    for infectee, source in infector.items():
        children.setdefault(source, []).append(infectee)
    by_date = sorted(ids, key=lambda case: (day[case], case))
    order: list[int] = []
    generation: dict[int, int] = {}
    # Roots first; cases left over sit on a cycle of best links (|serial interval| <= 3 days
    # both ways) and are entered at their earliest case.
    for root in [c for c in by_date if c not in infector] + by_date:
        if root in generation:
            continue
        stack = [(root, 0)]
        while stack:
            case, depth = stack.pop()
            if case in generation:
                continue
            generation[case] = depth
            order.append(case)
            kids = sorted(children.get(case, []), key=lambda c: (day[c], c), reverse=True)
            stack.extend((kid, depth + 1) for kid in kids if kid not in generation)
    return ChainOrder(case_id=order, day=day, infector=infector, generation=generation)


def _first_exposure_days(contacts: pa.Table, rules: ChainRules) -> dict[int, int]:
    if contacts.num_rows == 0:
        return {}
    first = contacts.group_by("case_id", use_threads=False).aggregate([("overlap_start_s", "min")])
    offset = rules.utc_offset_hours * 3600
    return {
        case: (start + offset) // DAY_S
        for case, start in zip(
            first.column("case_id").to_pylist(),
            first.column("overlap_start_s_min").to_pylist(),
            strict=True,
        )
        if start is not None
    }
