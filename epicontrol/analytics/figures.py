"""Plotly figures of the command dashboard: curves, Rt, forecast, age pyramid, sex split, map.

The map is drawn on plain cartesian axes (longitude, latitude) with filled shapes: it needs
no map tiles, fonts or WebGL, so the page works offline and prints (daily briefing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from epicontrol.analytics.schemas import DashboardData, SubdivisionFigures

COLOURS = {
    "confirmed": "#c62828",
    "asymptomatic": "#f9a825",
    "average": "#1d2733",
    "rt": "#0b6e4f",
    "forecast": "#5c6bc0",
    "male": "#1e88e5",
    "female": "#d81b60",
    "estate": "#b71c1c",
}
COLOUR_SCALE = "Reds"
MAX_MAP_LABELS = 8
# Strings shown to people, Chinese with English beside.
LABELS = {
    "confirmed": "确诊 confirmed",
    "asymptomatic": "无症状 asymptomatic",
    "average": "7日均值 7-day average",
    "forecast": "预测中位数 forecast median",
    "forecast_band": "预测95%区间 forecast 95% interval",
    "rt": "Rt 均值 mean",
    "rt_band": "95% 可信区间 credible interval",
    "threshold": "Rt = 1",
    "male": "男 male",
    "female": "女 female",
    "unknown": "未知 unknown",
    "report_date": "报告日期 report date",
    "onset_date": "发病日期 onset date",
    "cases": "病例 cases",
    "age": "年龄 age",
    "per_100k": "每10万人病例 cases per 100,000",
    "estates": "有病例的小区 estates with cases",
    "no_map": "下级区划无坐标 No coordinates for the subdivisions",
}


def _layout(figure: go.Figure, *, height: int = 320, **extra: Any) -> go.Figure:
    settings: dict[str, Any] = {
        "height": height,
        "margin": {"l": 48, "r": 16, "t": 36, "b": 40},
        # Above the plot: below it the legend would cover the axis title.
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "plot_bgcolor": "#fff",
        "paper_bgcolor": "#fff",
    }
    figure.update_layout(**(settings | extra))
    return figure


def curve_figure(data: DashboardData, *, by_onset: bool = False) -> go.Figure:
    """Daily cases stacked by status with the 7-day average; by report date also the forecast
    (median and 95% band) for the days after `day`."""
    curve = data.curve_by_onset if by_onset else data.curve_by_report
    days = [point.day for point in curve]
    figure = go.Figure()
    for status in ("confirmed", "asymptomatic"):
        figure.add_bar(
            x=days,
            y=[getattr(point, status) for point in curve],
            name=LABELS[status],
            marker_color=COLOURS[status],
        )
    figure.add_scatter(
        x=days,
        y=[point.seven_day_average for point in curve],
        name=LABELS["average"],
        mode="lines",
        line={"color": COLOURS["average"], "width": 2},
    )
    if not by_onset and data.forecast:
        _add_band(
            figure,
            [f.day for f in data.forecast],
            [f.lower for f in data.forecast],
            [f.upper for f in data.forecast],
            colour=COLOURS["forecast"],
            name=LABELS["forecast_band"],
        )
        figure.add_scatter(
            x=[f.day for f in data.forecast],
            y=[f.median for f in data.forecast],
            name=LABELS["forecast"],
            mode="lines+markers",
            line={"color": COLOURS["forecast"], "dash": "dot"},
        )
    axis = LABELS["onset_date"] if by_onset else LABELS["report_date"]
    return _layout(figure, barmode="stack", xaxis_title=axis, yaxis_title=LABELS["cases"])


def _add_band(
    figure: go.Figure,
    x: Sequence[Any],
    lower: Sequence[float],
    upper: Sequence[float],
    *,
    colour: str,
    name: str,
) -> None:
    """A shaded interval: the upper edge, then the lower edge filled up to it."""
    figure.add_scatter(x=x, y=upper, mode="lines", line={"width": 0}, showlegend=False)
    figure.add_scatter(
        x=x,
        y=lower,
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor=_translucent(colour),
        name=name,
    )


def _translucent(colour: str, alpha: float = 0.25) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def rt_figure(data: DashboardData) -> go.Figure:
    """Rt (posterior mean) at the end of each weekly window, its 95% band and the line Rt = 1."""
    days = [point.day for point in data.rt]
    figure = go.Figure()
    _add_band(
        figure,
        days,
        [p.lower for p in data.rt],
        [p.upper for p in data.rt],
        colour=COLOURS["rt"],
        name=LABELS["rt_band"],
    )
    figure.add_scatter(
        x=days,
        y=[p.mean for p in data.rt],
        name=LABELS["rt"],
        mode="lines",
        line={"color": COLOURS["rt"], "width": 2},
    )
    figure.add_hline(y=1, line={"color": "#888", "dash": "dash"})
    upper = max([p.upper for p in data.rt] + [2.0])
    return _layout(figure, yaxis={"title": "Rt", "range": [0, min(upper * 1.05, 6)]})


def pyramid_figure(data: DashboardData) -> go.Figure:
    """Cases by 10-year age band, men to the left and women to the right."""
    bands = [band.band for band in data.age_pyramid]
    male = [band.male for band in data.age_pyramid]
    female = [band.female for band in data.age_pyramid]
    figure = go.Figure()
    figure.add_bar(
        y=bands,
        x=[-n for n in male],
        customdata=male,
        orientation="h",
        name=LABELS["male"],
        marker_color=COLOURS["male"],
        hovertemplate="%{y}: %{customdata}<extra>" + LABELS["male"] + "</extra>",
    )
    figure.add_bar(
        y=bands,
        x=female,
        orientation="h",
        name=LABELS["female"],
        marker_color=COLOURS["female"],
        hovertemplate="%{y}: %{x}<extra>" + LABELS["female"] + "</extra>",
    )
    widest = max(male + female + [1])
    ticks = _symmetric_ticks(widest)
    xaxis = {
        "tickvals": [-t for t in ticks[::-1]] + ticks[1:],
        "ticktext": [str(t) for t in ticks[::-1]] + [str(t) for t in ticks[1:]],
        "range": [-widest * 1.1, widest * 1.1],
        "title": LABELS["cases"],
    }
    return _layout(figure, barmode="overlay", bargap=0.1, xaxis=xaxis, yaxis_title=LABELS["age"])


def _symmetric_ticks(widest: int) -> list[int]:
    step = max(1, math.ceil(widest / 4))
    return list(range(0, widest + step, step))


def sex_figure(data: DashboardData) -> go.Figure:
    """The split of cases by sex, as a ring."""
    names = {"M": "male", "F": "female"}
    keys = sorted(data.sex_split)
    figure = go.Figure(
        go.Pie(
            labels=[LABELS[names.get(key, "unknown")] for key in keys],
            values=[data.sex_split[key] for key in keys],
            hole=0.5,
            marker={"colors": [COLOURS.get(names.get(key, ""), "#9e9e9e") for key in keys]},
            sort=False,
        )
    )
    return _layout(figure, height=280)


def map_figure(data: DashboardData, features: dict[str, Any] | None) -> go.Figure:
    """Subdivisions shaded by cases per 100,000 (shapes from `features`, a GeoJSON collection
    with feature id = division id; markers at their coordinates without it) and the estates
    with cases as points. A subdivision's marker carries its id, for a click to drill down."""
    figure = go.Figure()
    by_id = {sub.division_id: sub for sub in data.subdivisions}
    highest = max([sub.cases_per_100k or 0 for sub in data.subdivisions] + [1.0])
    for feature in (features or {}).get("features", []):
        sub = by_id.get(int(feature["id"]))
        if sub is not None:
            _add_shape(figure, sub, feature["geometry"], highest)
    located = [s for s in data.subdivisions if s.latitude is not None and s.longitude is not None]
    _add_division_markers(figure, located, highest)
    estates = [e for e in data.estates if e.latitude is not None and e.longitude is not None]
    if estates:
        biggest = max(e.cases for e in estates)
        figure.add_scatter(
            x=[e.longitude for e in estates],
            y=[e.latitude for e in estates],
            mode="markers",
            name=LABELS["estates"],
            text=[f"{e.name}: {e.cases}" for e in estates],
            hoverinfo="text",
            marker={
                "color": COLOURS["estate"],
                "size": [8 + 12 * math.sqrt(e.cases / biggest) for e in estates],
                "line": {"color": "#fff", "width": 1},
                "symbol": "circle",
            },
        )
    if not located and not estates and not (features or {}).get("features"):
        figure.add_annotation(text=LABELS["no_map"], showarrow=False, x=0.5, y=0.5)
    latitudes = [s.latitude for s in located if s.latitude is not None]
    squash = math.cos(math.radians(sum(latitudes) / len(latitudes))) if latitudes else 1.0
    return _layout(
        figure,
        height=420,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1 / max(squash, 0.2)},
    )


def _colour(sub: SubdivisionFigures, highest: float) -> str:
    share = (sub.cases_per_100k or 0) / highest if highest else 0
    colour: str = sample_colorscale(COLOUR_SCALE, [0.05 + 0.9 * share])[0]
    return colour


def _add_shape(
    figure: go.Figure, sub: SubdivisionFigures, geometry: dict[str, Any], highest: float
) -> None:
    """One subdivision's polygons as filled lines (a MultiPolygon as one trace with gaps)."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    x: list[float | None] = []
    y: list[float | None] = []
    for polygon in polygons:
        for lon, lat in polygon[0]:
            x.append(lon)
            y.append(lat)
        x.append(None)
        y.append(None)
    figure.add_scatter(
        x=x,
        y=y,
        mode="lines",
        fill="toself",
        fillcolor=_colour(sub, highest),
        line={"color": "#555", "width": 1},
        hoveron="fills",
        text=_hover(sub),
        hoverinfo="text",
        showlegend=False,
    )


def _hover(sub: SubdivisionFigures) -> str:
    rate = "—" if sub.cases_per_100k is None else f"{sub.cases_per_100k:g}"
    return f"{sub.name}: {sub.cases} {LABELS['cases']}, {rate} /100k"


def _add_division_markers(
    figure: go.Figure, located: list[SubdivisionFigures], highest: float
) -> None:
    """A labelled marker per subdivision, coloured like its shape, with a colour bar."""
    if not located:
        return
    figure.add_scatter(
        x=[s.longitude for s in located],
        y=[s.latitude for s in located],
        mode="markers",
        hovertext=[_hover(s) for s in located],
        hoverinfo="text",
        customdata=[s.division_id for s in located],
        showlegend=False,
        marker={
            "size": 14,
            "color": [s.cases_per_100k or 0 for s in located],
            "colorscale": COLOUR_SCALE,
            "cmin": 0,
            "cmax": highest,
            "line": {"color": "#333", "width": 1},
            "colorbar": {"title": {"text": LABELS["per_100k"], "side": "right"}, "len": 0.8},
        },
    )
    # Names on a pale box, readable on the darkest fill as on the lightest; beyond a few they
    # would cover each other (a community's grids), and hovering names each one anyway.
    for sub in located if len(located) <= MAX_MAP_LABELS else []:
        figure.add_annotation(
            x=sub.longitude,
            y=sub.latitude,
            text=sub.name,
            yshift=16,
            showarrow=False,
            bgcolor="rgba(255,255,255,0.85)",
            font={"size": 12, "color": "#1d2733"},
        )
