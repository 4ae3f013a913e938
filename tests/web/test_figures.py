"""web/figures.figure_html: the figure travels as a JSON block with plotly's config, the app's
default unless the caller passes its own (the print briefing, the clinic map)."""

from __future__ import annotations

import json
import re
from typing import Any

import plotly.graph_objects as go

from epicontrol.web.figures import figure_html

PAYLOAD = re.compile(r'<script type="application/json" data-plotly-figure="[^"]+">(.*)</script>')


def payload(html: str) -> dict[str, Any]:
    found = PAYLOAD.search(html)
    assert found is not None
    loaded: dict[str, Any] = json.loads(found.group(1))
    return loaded


def bar() -> go.Figure:
    return go.Figure(go.Bar(x=["a", "b"], y=[1, 2], name="</script><b>"))


def test_a_figure_without_config_gets_the_pages_default() -> None:
    config = payload(figure_html(bar(), div_id="chart"))["config"]
    assert config == {"displaylogo": False, "responsive": True}


def test_a_callers_config_replaces_the_default() -> None:
    print_config = {"staticPlot": True, "displayModeBar": False}
    assert payload(figure_html(bar(), config=print_config))["config"] == print_config
    assert payload(figure_html(bar(), config={}))["config"] == {}


def test_a_trace_name_cannot_close_the_json_block() -> None:
    html = figure_html(bar(), div_id="chart")
    assert html.count("</script>") == 1
    assert payload(html)["data"][0]["name"] == "</script><b>"
