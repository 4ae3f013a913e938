"""Benchmark: record linkage (Splink, DuckDB) on a labelled set made by corrupting the register.

A register of N residents is stored (encrypted, as the app stores it) in a fresh SQLite file;
M of them reappear as incoming records with the slips seen in hand-typed forms (a mistyped
name character, swapped ID digits, a wrong check digit, a wrong digit, a changed phone digit,
missing fields), plus S strangers who are not in the register. The records go through
`intake.enqueue` and one `service.run`, as in the app; precision and recall are then read off
the stored links against the known truth.

    .venv/bin/python bench/bench_linkage.py --residents 20000 --records 2000 --strangers 200
    createdb -h 127.0.0.1 -U postgres bench_linkage && .venv/bin/python bench/bench_linkage.py \
        --db-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_linkage
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from epicontrol.cases.linkage import intake, rules, service
from epicontrol.cases.linkage.models import LinkagePair, LinkageRecord, PairState
from epicontrol.core import migrate
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import id_check_char, mask_name, vault_for
from epicontrol.core.db import engine_for, session_factory, utcnow
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.demo import identity, names
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.people.models import Resident

SECRET = "bench-linkage-secret"
# Slips and their chances per record (several may hit one record). Rates are set high on
# purpose, so that most records carry at least one slip: an easy set would prove little.
SLIPS = {
    "name_typo": 0.25,  # one given-name character replaced (a homophone picked from the pools)
    "id_swap": 0.15,  # two neighbouring ID digits swapped
    "id_check": 0.10,  # wrong check digit
    "id_digit": 0.10,  # one ID digit wrong
    "id_missing": 0.15,
    "phone_digit": 0.15,
    "phone_missing": 0.20,
    "name_missing": 0.05,
}
_GIVEN = list("建国华明军平伟强志勇刚德福文荣林海东淑芬秀英兰玉珍桂凤丽萍红梅霞浩宇轩子涵睿泽")


@dataclass
class Truth:
    """Which resident a record really is (None for a stranger)."""

    resident_id: int | None
    slips: list[str]


def build_register(rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    """Clear identities of `count` residents of one city (two county codes)."""
    today = np.datetime64(date(2026, 1, 1), "D")
    birth = today - rng.integers(1 * 365, 90 * 365, count).astype("timedelta64[D]")
    is_male = rng.random(count) < 0.51
    region = rng.choice(np.array(["410102", "410103"]), count)
    ids = identity.resident_id_numbers(rng, region, birth, is_male)
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    full_names = names.person_names(rng, names.draw_surnames(rng, count), is_male, years)
    phones = identity.mobile_numbers(rng, rng.random(count) < 0.9)
    return {"id": ids, "name": full_names, "phone": phones, "male": is_male, "year": years}


def store_register(db_url: str, people: dict[str, np.ndarray]) -> tuple[list[int], Principal]:
    """The register in a fresh store, and a city-wide epidemiologist to run linkage."""
    vault = vault_for(SECRET)
    sessions = session_factory(engine_for(db_url))
    with sessions() as db:
        city = Division(code="410100", name="bench city", name_pinyin="", level="city", path="/")
        db.add(city)
        db.flush()
        city.path = f"/{city.id}/"
        grid = Division(
            code="410100G1",
            name="bench grid",
            name_pinyin="",
            level=DivisionLevel.GRID.value,
            parent_id=city.id,
            path="",
        )
        db.add(grid)
        db.flush()
        grid.path = f"{city.path}{grid.id}/"
        user = User(
            username="bench_epi",
            display_name="bench",
            password_hash="x",
            role=Role.EPIDEMIOLOGIST.value,
            division_id=city.id,
        )
        db.add(user)
        db.flush()
        rows = []
        for number, name, phone, male, year in zip(
            people["id"].tolist(),
            people["name"].tolist(),
            people["phone"].tolist(),
            people["male"].tolist(),
            people["year"].tolist(),
            strict=True,
        ):
            rows.append(
                {
                    "division_id": grid.id,
                    "id_number_hash": vault.lookup_hash("id", number),
                    "id_number_enc": vault.encrypt(number),
                    "name_enc": vault.encrypt(name),
                    "name_masked": mask_name(name),
                    "phone_hash": vault.lookup_hash("phone", phone) if phone else None,
                    "phone_enc": vault.encrypt(phone) if phone else None,
                    "sex": "M" if male else "F",
                    "birth_year": int(year),
                    "occupation": "",
                    "source": "register",
                    "registered_at": utcnow(),
                }
            )
        db.execute(insert(Resident), rows)
        ids = list(db.scalars(select(Resident.id).order_by(Resident.id)))
        principal = Principal(
            user_id=user.id,
            username=user.username,
            role=Role.EPIDEMIOLOGIST,
            division_id=city.id,
            division_path=city.path,
        )
        db.commit()
    return ids, principal


def _other_digit(rng: np.random.Generator, digit: str) -> str:
    return str((int(digit) + int(rng.integers(1, 10))) % 10) if digit.isdigit() else "0"


def corrupt(rng: np.random.Generator, name: str, number: str, phone: str) -> tuple[dict, list]:
    """A record of this person as a clinic or an inspector might have typed it."""
    slips = [slip for slip, chance in SLIPS.items() if rng.random() < chance]
    true_birth = intake.birth_date_in_id(number)
    if "name_typo" in slips and len(name) >= 2:
        at = int(rng.integers(1, len(name)))
        name = name[:at] + str(rng.choice([c for c in _GIVEN if c != name[at]])) + name[at + 1 :]
    if "id_swap" in slips:
        at = int(rng.integers(0, 16))
        while number[at] == number[at + 1]:
            at = (at + 1) % 16
        number = number[:at] + number[at + 1] + number[at] + number[at + 2 :]
    if "id_check" in slips:
        number = number[:17] + _other_digit(rng, number[17])
    if "id_digit" in slips:
        at = int(rng.integers(0, 17))
        number = number[:at] + _other_digit(rng, number[at]) + number[at + 1 :]
    if "phone_digit" in slips and phone:
        at = int(rng.integers(3, 11))
        phone = phone[:at] + _other_digit(rng, phone[at]) + phone[at + 1 :]
    record = {
        "name": None if "name_missing" in slips else name,
        "id_number": None if "id_missing" in slips else number,
        "phone": None if "phone_missing" in slips or not phone else phone,
    }
    if record["id_number"] is None or rng.random() < 0.3:
        # Asked separately (a form's own birth-date box), so it is the true date.
        record["birth_date"] = true_birth.isoformat() if true_birth else None
    # The intake requires a name or an ID and two fields in all: a record that lost too much
    # keeps its (possibly mistyped) name.
    if record["name"] is None and (record["id_number"] is None or record["phone"] is None):
        record["name"], slips = name, [s for s in slips if s != "name_missing"]
    return record, slips


def make_strangers(
    rng: np.random.Generator, people: dict[str, np.ndarray], count: int
) -> dict[str, np.ndarray]:
    """People not in the register, a third of each kind: from another province; kin of a
    resident (same family name and mobile: a household phone); born the same day in the same
    county with the same family name (IDs two digits apart)."""
    far = build_register(np.random.default_rng(int(rng.integers(1 << 30))), count)
    taken = set(people["id"].tolist())
    ids, names_, phones = [], [], []
    for n in range(count):
        row = int(rng.integers(len(people["id"])))
        number, name = str(people["id"][row]), str(people["name"][row])
        given = str(far["name"][n])[1:]
        if n % 3 == 0:
            first17, name = "43" + str(far["id"][n])[2:17], str(far["name"][n])
            phone = str(far["phone"][n])
        else:
            birth = number[6:14] if n % 3 == 2 else str(far["id"][n])[6:14]
            sequence = (int(number[14:17]) + 2 * int(rng.integers(1, 40))) % 1000
            first17, name = f"{number[:6]}{birth}{sequence:03d}", name[0] + given
            phone = str(people["phone"][row]) if n % 3 == 1 else str(far["phone"][n])
        full = first17 + id_check_char(first17)
        if full in taken:
            full = "43" + full[2:17] + id_check_char("43" + full[2:17])
        ids.append(full)
        names_.append(name)
        phones.append(phone)
    return {"id": np.array(ids), "name": np.array(names_), "phone": np.array(phones)}


def make_records(
    rng: np.random.Generator,
    people: dict[str, np.ndarray],
    resident_ids: list[int],
    count: int,
    strangers: dict[str, np.ndarray],
) -> tuple[list[dict], list[Truth]]:
    """Corrupted copies of `count` residents, then the strangers, shuffled."""
    chosen = rng.choice(len(resident_ids), count, replace=False)
    records, truths = [], []
    for row in chosen.tolist():
        record, slips = corrupt(
            rng, str(people["name"][row]), str(people["id"][row]), str(people["phone"][row])
        )
        records.append(record)
        truths.append(Truth(resident_ids[row], slips))
    for row in range(len(strangers["id"])):
        record, slips = corrupt(
            rng,
            str(strangers["name"][row]),
            str(strangers["id"][row]),
            str(strangers["phone"][row]),
        )
        records.append(record)
        truths.append(Truth(None, slips))
    order = rng.permutation(len(records))
    records = [{**records[i], "source_ref": f"bench-{n}"} for n, i in enumerate(order.tolist())]
    return records, [truths[i] for i in order.tolist()]


def evaluate(db_url: str, ids: list[int], truths: list[Truth]) -> tuple[dict, list, list]:
    """Precision and recall of the stored links against the truth; recall by kind of slip;
    precision and recall of the best stored candidate at other auto-link thresholds."""
    truth_of = dict(zip(ids, truths, strict=True))
    with session_factory(engine_for(db_url))() as db:
        records = {r.id: r for r in db.scalars(select(LinkageRecord))}
        candidates: dict[int, list[LinkagePair]] = {}
        for pair in db.scalars(select(LinkagePair)):
            candidates.setdefault(pair.record_id, []).append(pair)
    review = {
        rid: [p for p in pairs if p.state == PairState.REVIEW.value]
        for rid, pairs in candidates.items()
        if records[rid].status == "review"
    }
    matchable = sum(1 for t in truths if t.resident_id is not None)
    auto = [(r, truth_of[r.id]) for r in records.values() if r.linked_by == "auto"]
    auto_right = sum(1 for r, t in auto if r.resident_id == t.resident_id)
    top = {rid: max(pairs, key=lambda p: p.match_probability) for rid, pairs in review.items()}
    review_right_top = sum(
        1 for rid, p in top.items() if p.resident_id == truth_of[rid].resident_id
    )

    def found(rid: int) -> tuple[bool, bool]:
        record, truth = records[rid], truth_of[rid]
        is_auto = record.linked_by == "auto" and record.resident_id == truth.resident_id
        queued = any(p.resident_id == truth.resident_id for p in review.get(rid, []))
        return is_auto, is_auto or queued

    figures = {
        "matchable": matchable,
        "auto_links": len(auto),
        "auto_right": auto_right,
        "auto_precision": auto_right / max(len(auto), 1),
        "auto_recall": auto_right / matchable,
        "review_records": len(review),
        "review_pairs": sum(len(p) for p in review.values()),
        "auto_review_precision": (auto_right + review_right_top) / max(len(auto) + len(review), 1),
        "auto_review_recall_top": (auto_right + review_right_top) / matchable,
        "auto_review_recall_any": sum(found(rid)[1] for rid in ids if truth_of[rid].resident_id)
        / matchable,
        "strangers_auto_linked": sum(1 for r, t in auto if t.resident_id is None),
        "strangers_queued": sum(1 for rid in review if truth_of[rid].resident_id is None),
        "unmatched": sum(1 for r in records.values() if r.status == "unmatched"),
    }
    groups: dict[str, list[int]] = {}
    for rid in ids:
        truth = truth_of[rid]
        if truth.resident_id is None:
            continue
        count = len(truth.slips)
        groups.setdefault(f"{min(count, 3)}{'+' if count >= 3 else ''} slips", []).append(rid)
        for slip in truth.slips:
            groups.setdefault(slip, []).append(rid)
    breakdown = [
        (name, len(rids), sum(found(r)[0] for r in rids) / len(rids),
         sum(found(r)[1] for r in rids) / len(rids))
        for name, rids in sorted(groups.items())
    ]  # fmt: skip
    best = {rid: max(pairs, key=lambda p: p.match_probability) for rid, pairs in candidates.items()}
    sweep = []
    for threshold in (0.5, 0.9, 0.99, 0.999, 0.9999):
        chosen = [(rid, p) for rid, p in best.items() if p.match_probability >= threshold]
        right = sum(1 for rid, p in chosen if p.resident_id == truth_of[rid].resident_id)
        sweep.append((threshold, len(chosen), right / max(len(chosen), 1), right / matchable))
    return figures, breakdown, sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--records", type=int, default=2_000)
    parser.add_argument("--strangers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--estimate-u", action="store_true", help="u by Splink random sampling, not the priors"
    )
    parser.add_argument("--db-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--out", type=Path, default=None, help="append a Markdown report here")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    load_before = os.getloadavg()
    db_url = args.db_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench_linkage_'))}/s.db"
    migrate.upgrade(db_url)

    people = build_register(rng, args.residents)
    began = time.perf_counter()
    resident_ids, principal = store_register(db_url, people)
    store_s = time.perf_counter() - began
    outsiders = make_strangers(rng, people, args.strangers)
    records, truths = make_records(rng, people, resident_ids, args.records, outsiders)

    vault = vault_for(SECRET)
    sessions = session_factory(engine_for(db_url))
    with sessions() as db:
        began = time.perf_counter()
        city = db.get(Division, principal.division_id)
        assert city is not None
        stored = intake.enqueue(
            db,
            source="medical_record",
            source_id=None,
            records=records,
            division_id=city.id,
            vault=vault,
            actor=principal,
        )
        db.commit()
        enqueue_s = time.perf_counter() - began
        ids = [r.id for r in stored]
        began = time.perf_counter()
        linkage_run = service.run(
            db, principal=principal, vault=vault, now=utcnow(), estimate_u=args.estimate_u
        )
        db.commit()
        run_s = time.perf_counter() - began
        candidate_pairs = linkage_run.candidate_pairs
    figures, breakdown, sweep = evaluate(db_url, ids, truths)
    slips = Counter(s for t in truths for s in t.slips)
    load_after = os.getloadavg()
    timings = {"store": store_s, "enqueue": enqueue_s, "run": run_s, "pairs": candidate_pairs}
    report = render(args, figures, slips, timings, (load_before, load_after))
    report += render_tables(breakdown, sweep)
    print(report)
    if args.out:
        with args.out.open("a") as out:
            out.write(report + "\n")


def render(
    args: argparse.Namespace,
    f: dict[str, float],
    slips: Counter[str],
    timings: dict[str, float],
    loads: tuple[tuple[float, ...], tuple[float, ...]],
) -> str:
    """The figures as Markdown."""
    load_before, load_after = loads
    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv])
    lines = [
        f"## Record linkage (bench/bench_linkage.py), {date.today().isoformat()}",
        "",
        f"- command: `{command}`",
        f"- machine: {platform.node()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average before "
        f"{' '.join(f'{x:.2f}' for x in load_before)}, after "
        f"{' '.join(f'{x:.2f}' for x in load_after)} (cores shared with other work)",
        f"- store: {(args.db_url or 'sqlite').split(':')[0]}",
        f"- data: {args.residents:,} residents; {args.records:,} corrupted copies of residents "
        f"and {args.strangers:,} strangers (seed {args.seed}); slips applied: "
        + ", ".join(f"{k} {v}" for k, v in sorted(slips.items())),
        f"- thresholds (cases/linkage/rules.py): auto-link p >= {rules.AUTO_LINK_PROBABILITY}, "
        f"review p >= {rules.REVIEW_PROBABILITY}; m fixed priors, u "
        + ("estimated (Splink random sampling)" if args.estimate_u else "fixed priors"),
        "",
        "| measure | value |",
        "|---|---|",
        f"| auto-links: precision | {f['auto_precision']:.4f} "
        f"({f['auto_right']}/{f['auto_links']}) |",
        f"| auto-links: recall | {f['auto_recall']:.4f} ({f['auto_right']}/{f['matchable']}) |",
        f"| auto + review (top candidate accepted): precision | {f['auto_review_precision']:.4f} |",
        f"| auto + review (top candidate accepted): recall | {f['auto_review_recall_top']:.4f} |",
        f"| auto + review (true resident among candidates): recall | "
        f"{f['auto_review_recall_any']:.4f} |",
        f"| records queued for review (pairs) | {f['review_records']} ({f['review_pairs']}) |",
        f"| strangers auto-linked / queued | {f['strangers_auto_linked']} / "
        f"{f['strangers_queued']} |",
        f"| records left unmatched | {f['unmatched']} |",
        f"| pairs kept from Splink (p >= {rules.REVIEW_PROBABILITY}) | {timings['pairs']:,.0f} |",
        f"| store register (encrypt + insert) | {timings['store']:.1f} s |",
        f"| enqueue records (validate, encrypt, insert) | {timings['enqueue']:.2f} s |",
        f"| linkage run (decrypt, Splink predict, store links, commit) | {timings['run']:.2f} s |",
        "",
    ]
    return "\n".join(lines)


def render_tables(breakdown: list, sweep: list) -> str:
    """Recall by kind of slip, and the best candidate at other auto-link thresholds."""
    lines = [
        "",
        "Recall by kind of slip (a record may carry several):",
        "",
        "| records with | n | recall, auto-links | recall, auto + review |",
        "|---|---|---|---|",
        *(f"| {name} | {n} | {auto:.3f} | {any_:.3f} |" for name, n, auto, any_ in breakdown),
        "",
        "Best stored candidate of each record taken as the link at other thresholds:",
        "",
        "| auto-link threshold | links | precision | recall |",
        "|---|---|---|---|",
        *(f"| {t} | {n} | {p:.4f} | {r:.4f} |" for t, n, p, r in sweep),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
