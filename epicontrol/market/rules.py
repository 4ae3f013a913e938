"""The rules that flag a mask seller, with where each comes from and what we assumed.

Both flags are screening signals for an inspector, not findings: a case (cases.py) decides.
The numbers are settings (core/settings.py, README's Configuration table); this module holds
their meaning, the fixed parts of the rules and the licence-number check.

Abnormal price (价格异常, suspected 哄抬价格 price gouging)
- Source: the SAMR guidance on price gouging during the epidemic (市场监管总局关于新型冠状病毒
  感染肺炎疫情防控期间查处哄抬价格违法行为的指导意见, 国市监竞争〔2020〕21号, 1 Feb 2020) judges a
  seller by how far their purchase-to-sale margin rose above its pre-epidemic level. Residents
  cannot see margins, so we screen on what they can see, the shelf price, and leave the margin
  to the inspection. Assumption (ours, not the guidance's): a report is abnormal when its unit
  price (pack price / pieces) exceeds `market_price_factor` (default 1.5) times the median unit
  price of the same product among the *other* sellers of the seller's district (区/县, where
  the market-regulation bureaus sit) over the last `market_price_window_days`: the median of
  those sellers' own medians, so that each seller counts once (a shop reported fifty times
  does not set the district's price) and a gouger never raises their own yardstick. Per seller,
  not per report, also keeps the computation to sellers x sellers pairs instead of reports x
  reports (20,000 reports: about a second instead of six, docs/economy-market.md).
- Too few reports: with fewer than `market_min_reports_for_median` reports of other sellers in
  the district, the city's median is used; fewer in the city too, and there is no median rule.
- Reference price: where inspectors set a ceiling per piece for the product (the guidance prices
  cities issued in early 2020, entered by hand with their source), a unit price above the
  ceiling valid on the report's date is abnormal whatever the median says; the ceiling of the
  deepest division above the seller applies.

Repeated quality complaints (质量投诉)
- Assumption (ours): `market_complaint_threshold` (default 3) complaints of counterfeit or
  substandard masks within `market_complaint_window_days` (default 7, today included), each
  reporter counted once per seller so that one angry customer cannot flag a shop alone. Hoarding,
  refusal to sell and false advertising are shown on the seller's page but do not count: they
  are not about the masks' quality.

Both rules skip reports a closed case has already dealt with, so a seller cleared (or punished)
is not flagged again for the same reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from epicontrol.core.settings import Settings
from epicontrol.market.models import ComplaintKind

QUALITY_COMPLAINTS: tuple[ComplaintKind, ...] = (
    ComplaintKind.COUNTERFEIT,
    ComplaintKind.SUBSTANDARD,
)
# The district is the level whose median a seller is compared with (then the city's).
MEDIAN_LEVELS: tuple[str, ...] = ("district", "city")
# Seller names at least this similar (rapidfuzz ratio, 0-100, after normalising) in the same
# division are taken as the same seller: "好又多大药房" and "好又多药房" score about 91.
SAME_SELLER_SCORE = 88.0


@dataclass(frozen=True, slots=True)
class FlagRules:
    """The flag rules' numbers for one computation."""

    price_factor: float
    price_window_days: int
    min_reports_for_median: int
    complaint_threshold: int
    complaint_window_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FlagRules:
        """The deployment's numbers."""
        return cls(
            price_factor=settings.market_price_factor,
            price_window_days=settings.market_price_window_days,
            min_reports_for_median=settings.market_min_reports_for_median,
            complaint_threshold=settings.market_complaint_threshold,
            complaint_window_days=settings.market_complaint_window_days,
        )

    def price_window_start(self, today: date) -> date:
        """The first day whose price reports count (the window includes today)."""
        return today - timedelta(days=self.price_window_days - 1)

    def complaint_window_start(self, today: date) -> date:
        """The first day whose complaints count (the window includes today)."""
        return today - timedelta(days=self.complaint_window_days - 1)


# 统一社会信用代码 (GB 32100-2015): 18 characters from this alphabet (no I, O, S, V, Z); the last
# is a check character, a weighted sum modulo 31.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_SHAPE = re.compile(rf"[{_CREDIT_ALPHABET}]{{18}}")


def credit_code_check_char(first17: str) -> str:
    """The check character of the first 17 characters of a unified social credit code."""
    total = sum(
        _CREDIT_ALPHABET.index(char) * weight
        for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def licence_problem(number: str) -> str | None:
    """Why `number` is not a valid unified social credit code, or None if it is."""
    if not _CREDIT_SHAPE.fullmatch(number):
        return "a business licence number is 18 letters and digits (no I, O, S, V, Z)"
    if credit_code_check_char(number[:17]) != number[17]:
        return "the business licence number's check character does not match: a typo?"
    return None
