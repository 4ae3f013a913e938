"""Tracing rules: the infectious window in China dates, and per-deployment configuration."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from epicontrol.tracing.rules import (
    DEFAULT_RULES,
    TracingRules,
    china_midnight,
    infectious_window,
    load_rules,
    observation_ends_at,
)

NOW = datetime(2020, 2, 1, 12, 0, tzinfo=UTC)


def test_china_midnight_is_16_00_utc_the_day_before() -> None:
    assert china_midnight(date(2020, 1, 20)) == int(
        datetime(2020, 1, 19, 16, tzinfo=UTC).timestamp()
    )


def test_window_starts_two_days_before_onset_and_ends_at_isolation() -> None:
    isolated = datetime(2020, 1, 25, 9, 30, tzinfo=UTC)
    start, end = infectious_window(date(2020, 1, 22), None, isolated, NOW)
    assert start == china_midnight(date(2020, 1, 20))
    assert end == int(isolated.timestamp())


def test_asymptomatic_case_window_starts_two_days_before_sampling() -> None:
    start, _ = infectious_window(None, date(2020, 1, 22), None, NOW)
    assert start == china_midnight(date(2020, 1, 20))


def test_isolation_date_counts_until_the_end_of_that_china_day() -> None:
    _, end = infectious_window(date(2020, 1, 22), None, date(2020, 1, 24), NOW)
    assert end == china_midnight(date(2020, 1, 25))


def test_case_not_isolated_exposes_until_now() -> None:
    _, end = infectious_window(date(2020, 1, 22), None, None, NOW)
    assert end == int(NOW.timestamp())
    _, later = infectious_window(date(2020, 1, 22), None, datetime(2020, 3, 1, tzinfo=UTC), NOW)
    assert later == int(NOW.timestamp())


def test_case_without_onset_or_sampling_date_is_refused() -> None:
    with pytest.raises(ValueError, match="onset"):
        infectious_window(None, None, None, NOW)


def test_presymptomatic_days_are_configurable() -> None:
    rules = TracingRules(presymptomatic_days=4)
    start, _ = infectious_window(date(2020, 1, 22), None, None, NOW, rules=rules)
    assert start == china_midnight(date(2020, 1, 18))


def test_observation_ends_14_days_after_last_exposure() -> None:
    assert observation_ends_at(1_000) == 1_000 + 14 * 86_400


def test_dwell_estimates_by_place_kind_with_a_default() -> None:
    assert DEFAULT_RULES.dwell_s("community_gate") == 60
    assert DEFAULT_RULES.dwell_s("workplace") == 8 * 3600
    assert DEFAULT_RULES.dwell_s("somewhere new") == 30 * 60
    assert DEFAULT_RULES.dwell_s(None) == 30 * 60


def test_mapping_overrides_and_merges_dwell_estimates() -> None:
    rules = TracingRules.from_mapping(
        {"min_overlap_minutes": 10, "dwell_minutes_by_place_kind": {"market": 20}}
    )
    assert rules.min_overlap_s == 600
    assert rules.dwell_s("market") == 20 * 60
    assert rules.dwell_s("restaurant") == 60 * 60  # untouched default


def test_unknown_or_negative_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown tracing rule"):
        TracingRules.from_mapping({"min_overlap": 10})
    with pytest.raises(ValueError, match="negative"):
        TracingRules(min_overlap_minutes=-1)


def test_rules_load_from_json_and_toml_files(tmp_path: Path) -> None:
    as_json = tmp_path / "rules.json"
    as_json.write_text(json.dumps({"observation_days": 21}))
    as_toml = tmp_path / "rules.toml"
    as_toml.write_text(
        "[tracing]\ntrace_secondary_contacts = false\n"
        "[tracing.dwell_minutes_by_place_kind]\nschool = 360\n"
    )
    assert load_rules(as_json).observation_days == 21
    from_toml = load_rules(as_toml)
    assert from_toml.trace_secondary_contacts is False
    assert from_toml.dwell_s("school") == 360 * 60
    assert load_rules(None) == DEFAULT_RULES


def test_rules_are_frozen() -> None:
    with pytest.raises(AttributeError):
        DEFAULT_RULES.min_overlap_minutes = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_RULES.dwell_minutes_by_place_kind["market"] = 1  # type: ignore[index]
