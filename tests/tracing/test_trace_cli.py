"""`epicontrol trace`: contacts of a city folder to Parquet or CSV, with a summary."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from epicontrol.tracing import schema
from epicontrol.tracing.trace_cli import trace_command

app = typer.Typer()
app.command()(trace_command)


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_trace_writes_parquet_contacts_and_a_summary(
    runner: CliRunner, small_city: Path, tmp_path: Path
) -> None:
    out = tmp_path / "contacts.parquet"
    result = runner.invoke(app, [str(small_city), "--out", str(out)])
    assert result.exit_code == 0, result.output
    contacts = pq.read_table(out)
    assert contacts.schema == schema.CONTACTS
    assert contacts.num_rows > 0
    assert "Contacts by degree and rule" in result.output
    assert "co_location" in result.output and "household" in result.output
    assert f"{contacts.num_rows:,} exposures written" in result.output


def test_trace_writes_csv_for_given_cases_and_rules(
    runner: CliRunner, small_city: Path, tmp_path: Path
) -> None:
    cases = pq.read_table(small_city / "cases.parquet").slice(0, 1)
    cases_file = tmp_path / "one_case.parquet"
    pq.write_table(cases, cases_file)
    rules_file = tmp_path / "rules.json"
    rules_file.write_text(json.dumps({"trace_secondary_contacts": False}))
    out = tmp_path / "contacts.csv"
    args = [str(small_city), "--out", str(out), "--csv", "--cases", str(cases_file)]
    result = runner.invoke(app, [*args, "--rules", str(rules_file)])
    assert result.exit_code == 0, result.output
    contacts = pa_csv.read_csv(out)
    assert set(contacts.column("case_resident_id").to_pylist()) == {
        cases.column("resident_id")[0].as_py()
    }
    assert set(contacts.column("degree").to_pylist()) == {1}


def test_trace_refuses_an_unknown_engine_and_a_folder_without_cases(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(app, [str(tmp_path), "--engine", "oracle"])
    assert result.exit_code == 2
    assert "not an engine" in result.output
    result = runner.invoke(app, [str(tmp_path)])
    assert result.exit_code == 2
    assert "cases.parquet" in result.output
