"""Risk-status (健康码 health code) rules with their sources: one frozen object, configurable per
deployment (a JSON or TOML file named by the `risk_rules_file` setting)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import IntEnum
from pathlib import Path
from typing import Any


class Colour(IntEnum):
    """Risk colours, ordered so that the worst is the largest (the worst colour wins)."""

    GREEN = 0  # 绿码: moves freely
    YELLOW = 1  # 黄码: home observation, reports daily
    RED = 2  # 红码: isolation or centralised quarantine

    @property
    def label(self) -> str:
        """The colour's name as the API returns it ("green", "yellow", "red")."""
        return self.name.lower()

    @classmethod
    def of(cls, label: str) -> Colour:
        """The colour named `label`; ValueError for any other word."""
        try:
            return cls[label.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown colour '{label}': use green, yellow or red") from None


class Rule:
    """Names of the rules, stored with each piece of evidence."""

    CASE = "case"  # an open confirmed, asymptomatic or suspected case
    CLOSE_CONTACT = "close_contact"  # 密接
    SECONDARY_CONTACT = "secondary_contact"  # 次密接
    RISK_AREA_ARRIVAL = "risk_area_arrival"  # arrived from a risk area
    FEVER_REPORT = "fever_report"  # a fever self-check not yet cleared
    OVERRIDE = "override"  # an officer's correction on appeal


@dataclass(frozen=True, slots=True)
class RiskRules:
    """Every parameter the risk-status rules apply.

    The defaults follow Hangzhou's health code as launched on 11 February 2020 (杭州健康码,
    Hangzhou Municipal Government announcement of 11 Feb 2020, and the Zhejiang provincial
    specification of its colours that followed): red for confirmed and suspected cases and for
    close contacts under 14-day centralised quarantine; yellow for people under 7-day home
    observation (arrivals from key epidemic areas, people with fever or other symptoms, and --
    our reading of "key persons" -- secondary contacts); green otherwise.
    """

    # China NHC, COVID-19 Prevention and Control Plan (5th and 6th editions): confirmed and
    # suspected cases are isolated and treated; the 6th edition (March 2020) adds asymptomatic
    # infections to centralised isolation. Red while the case is open.
    red_case_statuses: frozenset[str] = frozenset({"suspected", "confirmed", "asymptomatic"})
    # Hangzhou code, 11 Feb 2020: close contacts are red during the 14-day medical observation
    # (China NHC and WHO: 14 days from the last exposure, tracing/rules.py observation_days).
    # The end is the contact's `observation_ends_on`, a whole day included.
    close_contact_colour: Colour = Colour.RED
    # China NHC Prevention and Control Plan, 8th edition (May 2021), "close contacts of close
    # contacts": home observation, so yellow while their observation lasts.
    secondary_contact_colour: Colour = Colour.YELLOW
    # Hangzhou code, 11 Feb 2020: arrivals from key epidemic areas are yellow for 7 days of home
    # observation ("7天居家隔离"), counted from the arrival.
    risk_area_arrival_colour: Colour = Colour.YELLOW
    risk_area_arrival_days: int = 7
    # Hangzhou code, 11 Feb 2020: people reporting fever or symptoms are yellow, "up to 7 days",
    # unless a clinic or officer clears them earlier (SelfCheck.cleared_at).
    fever_report_colour: Colour = Colour.YELLOW
    fever_report_days: int = 7
    # Not epidemiology: an officer's correction may hold for at most this long; a longer need
    # comes back as a new appeal (so a wrong green never outlives its review).
    max_override_days: int = 30

    def __post_init__(self) -> None:
        for name in ("risk_area_arrival_days", "fever_report_days", "max_override_days"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        object.__setattr__(self, "red_case_statuses", frozenset(self.red_case_statuses))
        for name in (
            "close_contact_colour",
            "secondary_contact_colour",
            "risk_area_arrival_colour",
            "fever_report_colour",
        ):
            value = getattr(self, name)
            if not isinstance(value, Colour):
                object.__setattr__(self, name, Colour.of(str(value)))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RiskRules:
        """Rules from a mapping of field names (a deployment's file); unknown names are refused."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown risk-status rule(s): {', '.join(unknown)}")
        options = dict(values)
        if "red_case_statuses" in options:
            options["red_case_statuses"] = frozenset(options["red_case_statuses"])
        return replace(cls(), **options)

    @classmethod
    def from_file(cls, path: Path) -> RiskRules:
        """Rules from a JSON or TOML file (by its suffix); TOML may use a [risk_status] table."""
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".toml":
            values: Any = tomllib.loads(text)
            values = values.get("risk_status", values)
        else:
            values = json.loads(text)
        if not isinstance(values, dict):
            raise ValueError(f"{path}: expected a table of risk-status rules")
        return cls.from_mapping(values)


DEFAULT_RULES = RiskRules()
_active: list[RiskRules] = [DEFAULT_RULES]


def load_rules(path: Path | None) -> RiskRules:
    """The deployment's rules: from `path` when given (settings), the defaults otherwise."""
    return DEFAULT_RULES if path is None else RiskRules.from_file(path)


def use(rules: RiskRules) -> None:
    """Make `rules` the ones every recomputation of this process applies (set at start-up)."""
    _active[0] = rules


def active() -> RiskRules:
    """The rules this process applies."""
    return _active[0]
