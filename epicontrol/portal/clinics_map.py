"""The fever-clinic map: a Plotly scatter of longitude and latitude on plain axes (no tiles, so
it works offline like the dashboard's map), with the visitor's position when known."""

from __future__ import annotations

import math

from epicontrol.core.i18n import gettext as _
from epicontrol.portal.clinics_schemas import ClinicListOut

CLINIC_COLOUR = "#c62828"
NEAREST_COLOUR = "#0b6e4f"
ORIGIN_COLOUR = "#1e88e5"
CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}


def _hover(name: str, address: str, distance: float | None) -> str:
    if distance is None:
        return f"{name}<br>{address}"
    away = _("%(km)s km", km=distance)
    return f"{name}<br>{address}<br>{away}"


def map_html(clinics: ClinicListOut) -> str:
    """A <div> with the map (plotly.js comes from plotly_static's route), or "" if no clinic
    has coordinates."""
    import plotly.graph_objects as go  # heavy: imported when a map is drawn

    located = [c for c in clinics.clinics if c.latitude is not None and c.longitude is not None]
    if not located:
        return ""
    figure = go.Figure()
    colours = [
        NEAREST_COLOUR if c.place_id == clinics.nearest_place_id else CLINIC_COLOUR for c in located
    ]
    figure.add_trace(
        go.Scatter(
            x=[c.longitude for c in located],
            y=[c.latitude for c in located],
            mode="markers",
            name=_("Fever clinics"),
            marker={"size": 12, "color": colours, "symbol": "cross"},
            hovertext=[_hover(c.name, c.address, c.distance_km) for c in located],
            hoverinfo="text",
            customdata=[c.place_id for c in located],
        )
    )
    origin = clinics.origin
    if origin is not None and origin.latitude is not None and origin.longitude is not None:
        figure.add_trace(
            go.Scatter(
                x=[origin.longitude],
                y=[origin.latitude],
                mode="markers",
                name=_("You are here"),
                marker={"size": 14, "color": ORIGIN_COLOUR, "symbol": "circle"},
                hovertext=[_("You are here")],
                hoverinfo="text",
            )
        )
    middle = sum(c.latitude or 0.0 for c in located) / len(located)
    figure.update_layout(
        height=360,
        margin={"l": 40, "r": 8, "t": 8, "b": 32},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        plot_bgcolor="#f7f9fb",
        paper_bgcolor="#fff",
        xaxis={"title": {"text": _("Longitude")}, "showgrid": False},
        # A degree of longitude is cos(latitude) of a degree of latitude on the ground.
        yaxis={
            "title": {"text": _("Latitude")},
            "showgrid": False,
            "scaleanchor": "x",
            "scaleratio": 1 / math.cos(math.radians(middle)),
        },
    )
    from epicontrol.web.figures import figure_html  # no inline script (web/figures.py)

    return figure_html(figure, div_id="clinic-map", config=CONFIG)
