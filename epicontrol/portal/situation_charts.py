"""Trend charts of the situation page as plotly.js figure JSON.

Written as plain dicts rather than with plotly's Python classes: a phone page needs two small
bar charts, and building them this way costs microseconds instead of importing plotly and
validating a figure (tens of milliseconds on a cache miss). plotly.js itself is served by
web/plotly_static.py, so the page works offline.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from epicontrol.core.i18n import gettext as _
from epicontrol.portal.situation_schemas import TrendDay

COLOURS = {"confirmed": "#c62828", "asymptomatic": "#f9a825"}
CONFIG = {"displayModeBar": False, "responsive": True}


def _layout(title: str, highest: int) -> dict[str, Any]:
    # Whole numbers on the axis: plotly would tick 0, 0.5, 1 for a day with one case.
    y_ticks = {"dtick": 1} if highest <= 5 else {}
    return {
        "title": {"text": title, "font": {"size": 14}, "x": 0, "xanchor": "left"},
        "height": 220,
        "margin": {"l": 36, "r": 8, "t": 32, "b": 32},
        "barmode": "stack",
        "legend": {"orientation": "h", "x": 0, "y": -0.2},
        "showlegend": True,
        "xaxis": {"type": "date", "tickformat": "%m-%d", "fixedrange": True},
        "yaxis": {"rangemode": "tozero", "fixedrange": True, "tickformat": ",d", **y_ticks},
        "plot_bgcolor": "#fff",
        "paper_bgcolor": "#fff",
    }


def _bars(trend: list[TrendDay], field: str, name: str) -> dict[str, Any]:
    return {
        "type": "bar",
        "name": name,
        "x": [point.day.isoformat() for point in trend],
        "y": [getattr(point, field) for point in trend],
        "marker": {"color": COLOURS[field]},
    }


def local_trend(trend: list[TrendDay]) -> dict[str, Any]:
    """New confirmed and asymptomatic infections per report day."""
    return {
        "data": [
            _bars(trend, "confirmed", _("Confirmed")),
            _bars(trend, "asymptomatic", _("Asymptomatic")),
        ],
        "layout": _layout(
            _("New infections per day, last 30 days"),
            max((p.confirmed + p.asymptomatic for p in trend), default=0),
        ),
    }


def region_trend(trend: list[TrendDay], region_name: str) -> dict[str, Any]:
    """New confirmed cases per day of a province or the nation (from the feed)."""
    highest = max((point.confirmed for point in trend), default=0)
    layout = _layout(_("%(region)s: new confirmed per day", region=region_name), highest)
    layout["showlegend"] = False
    return {"data": [_bars(trend, "confirmed", _("New confirmed"))], "layout": layout}


def as_script_json(figure: dict[str, Any]) -> Markup:
    """The figure as JSON that is safe inside a <script> element."""
    text = json.dumps({**figure, "config": CONFIG}, ensure_ascii=False, separators=(",", ":"))
    # "</script>" or "<!--" inside would end the element early: a region name comes from an
    # imported file. The escapes are still JSON for the same characters.
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return Markup(text)
