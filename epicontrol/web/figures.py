"""Plotly figures as markup a strict Content-Security-Policy allows (docs/hardening.md, "CSP").

`figure.to_html()` writes an inline <script> calling Plotly.newPlot; `script-src 'self'` blocks
it. Here the figure travels as data instead: a <script type="application/json"> (not run, so not
subject to script-src) next to its <div>, and web/static/pages.js draws every such figure once
the page (and plotly.js) has loaded, or when htmx swaps one in.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from markupsafe import Markup
from plotly.io.json import to_json_plotly

# The figure drawer and the page behaviours; inlined in pages written to a file (the briefing's
# offline copy), which can't load /static.
PAGES_JS = Path(__file__).parent / "static" / "pages.js"
# The app's pages: no plotly logo in the mode bar, and the figure follows its box when the page
# is resized. A caller that draws for print or a small map passes its own config.
DEFAULT_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}


def _size(layout: dict[str, Any], name: str, default: str) -> str:
    template = layout.get("template", {}).get("layout", {})
    value = layout.get(name, template.get(name, default))
    return f"{value}px" if isinstance(value, int | float) else str(value)


def figure_html(
    figure: Any, *, div_id: str | None = None, config: dict[str, Any] | None = None
) -> str:
    """The figure's <div> and its data, sized as plotly's to_html sizes it; `config` is plotly's
    (DEFAULT_CONFIG when left out)."""
    div_id = div_id or str(uuid.uuid4())
    data = figure.to_dict()
    layout = data.get("layout", {})
    payload = to_json_plotly(
        {
            "data": data.get("data", []),
            "layout": layout,
            "config": DEFAULT_CONFIG if config is None else config,
        }
    )
    # In a <script> element only "</" (and "<!--") can end it early; JSON allows \u003c.
    payload = payload.replace("<", "\\u003c")
    width, height = _size(layout, "width", "100%"), _size(layout, "height", "100%")
    html = Markup(
        '<div style="height:{h}; width:{w};"><div id="{id}" class="plotly-graph-div" '
        'style="height:100%; width:100%;"></div>'
        '<script type="application/json" data-plotly-figure="{id}">'
    ).format(h=height, w=width, id=div_id)
    return str(html) + payload + "</script></div>"


def pages_js() -> str:
    """pages.js's text, to inline in a page that is written to a file."""
    return PAGES_JS.read_text(encoding="utf-8")
