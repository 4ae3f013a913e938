"""The daily briefing (每日简报) of a division: key figures and charts on a printable A4 page.

One page of HTML serves both ways out: the web route links plotly.js from the app
(web/plotly_static.py), the command line inlines it so the file opens and prints offline, and
briefing_pdf.py prints that file to PDF with Debian's chromium. The figures are the command
dashboard's (analytics/dashboard.py computes them, analytics/figures.py draws them), so the
briefing and the dashboard always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.orm import Session

from epicontrol.analytics import rules
from epicontrol.analytics.schemas import DashboardData
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.settings import Settings
from epicontrol.divisions.models import Division

if TYPE_CHECKING:
    import plotly.graph_objects as go

# A4 portrait less 12 mm margins leaves 186 mm, about 700 CSS pixels at 96 per inch: charts
# are drawn at a fixed size so that what prints is what was drawn.
PAGE_WIDTH_PX = 700
HALF_WIDTH_PX = 340
# Figures are pictures on paper: no hover, zoom or mode bar.
PRINT_CONFIG = {"staticPlot": True, "displayModeBar": False}

# Strings shown to people, Chinese with English beside.
LEVELS = {
    "province": "省 province",
    "city": "市 city",
    "district": "区县 district",
    "street": "街道乡镇 street/town",
    "community": "社区村 community",
    "grid": "网格 grid",
}


@dataclass(frozen=True)
class Chart:
    """One chart of the briefing: a heading and the figure's <div>."""

    key: str
    title: str
    html: str
    is_half: bool = False


def compute_data(
    db: Session, *, division: Division, day: date, settings: Settings
) -> DashboardData:
    """The dashboard's figures of the division on `day`, with the deployment's serial interval."""
    from epicontrol.analytics.dashboard import compute

    return compute(
        db,
        division=division,
        day=day,
        serial_interval_mean_days=settings.rt_serial_interval_mean_days,
        serial_interval_sd_days=settings.rt_serial_interval_sd_days,
    )


def map_features(db: Session, division: Division) -> dict[str, Any]:
    """Outlines of the subdivisions for the map: stored, or approximated (divisions.boundaries)."""
    from epicontrol.divisions.boundaries import children_feature_collection

    return children_feature_collection(db, division)


def charts(data: DashboardData, features: dict[str, Any] | None) -> list[Chart]:
    """The briefing's charts, drawn by the dashboard's figure functions at print sizes."""
    from epicontrol.analytics import figures

    made = [
        Chart(
            "curve",
            "疫情曲线（报告日期）与7日预测 Epidemic curve by report date, forecast",
            _print_html(figures.curve_figure(data), "curve", PAGE_WIDTH_PX, 300),
        ),
        Chart(
            "rt",
            "有效再生数 Rt (Cori et al. 2013), 95% 可信区间 credible interval",
            _print_html(figures.rt_figure(data), "rt", PAGE_WIDTH_PX, 240),
        ),
        Chart(
            "onset",
            "疫情曲线（发病日期）Epidemic curve by onset date",
            _print_html(figures.curve_figure(data, by_onset=True), "onset", PAGE_WIDTH_PX, 240),
        ),
        Chart(
            "pyramid",
            "年龄性别 Age and sex of cases",
            _print_html(figures.pyramid_figure(data), "pyramid", HALF_WIDTH_PX, 260),
            True,
        ),
        Chart(
            "sex",
            "性别 Sex split",
            _print_html(figures.sex_figure(data), "sex", HALF_WIDTH_PX, 260),
            True,
        ),
    ]
    if _has_map(data, features):
        made.append(
            Chart(
                "map",
                "下级区划每10万人病例与有病例小区 Cases per 100,000 and estates with cases",
                _print_html(figures.map_figure(data, features), "map", PAGE_WIDTH_PX, 380),
            )
        )
    return made


def _has_map(data: DashboardData, features: dict[str, Any] | None) -> bool:
    """Whether the map has anything to draw: outlines, located subdivisions or estates."""
    located = [s for s in data.subdivisions if s.latitude is not None and s.longitude is not None]
    estates = [e for e in data.estates if e.latitude is not None and e.longitude is not None]
    return bool(data.subdivisions) and bool((features or {}).get("features") or located or estates)


def _print_html(figure: go.Figure, div_id: str, width: int, height: int) -> str:
    """The figure's <div> at a fixed size, static, without plotly.js (the page carries it once)."""
    # The legend above the plot: below it, it collides with the axis title at print sizes.
    figure.update_layout(
        width=width,
        height=height,
        autosize=False,
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
        margin={"t": 40, "b": 44},
    )
    from epicontrol.web.figures import figure_html  # no inline script (web/figures.py)

    return figure_html(figure, div_id=f"briefing-{div_id}", config=PRINT_CONFIG)


def render_html(
    data: DashboardData,
    *,
    features: dict[str, Any] | None,
    generated_at: datetime,
    plotly: Literal["inline", "link"],
    pdf_url: str | None = None,
) -> str:
    """The briefing page; `plotly="inline"` writes plotly.js into it (a file that works offline)."""
    from epicontrol.web.templating import TEMPLATES

    context = {
        "data": data,
        "charts": charts(data, features),
        "key_figures": key_figures(data),
        "latest_rt": data.rt[-1] if data.rt else None,
        "level": LEVELS.get(data.division_level, data.division_level),
        "generated_at": generated_at.astimezone(LOCAL_TIME),
        "plotly_inline": _plotly_js() if plotly == "inline" else None,
        "pages_js_inline": _pages_js() if plotly == "inline" else None,
        "plotly_src": None if plotly == "inline" else _plotly_url(),
        "pdf_url": pdf_url,
        "method": {
            "simulations": rules.FORECAST_SIMULATIONS,
            "window": rules.RT_WINDOW_DAYS,
            "prior_mean": f"{rules.RT_PRIOR_MEAN:g}",
            "prior_sd": f"{rules.RT_PRIOR_SD:g}",
            "doubling_window": rules.DOUBLING_WINDOW_DAYS,
        },
    }
    return TEMPLATES.env.get_template("briefing.html").render(context)


@dataclass(frozen=True)
class KeyFigure:
    """A headline number of the briefing: cumulative (or current) total and the day's new."""

    label: str
    total: int
    new: int | None
    note: str = ""


def key_figures(data: DashboardData) -> list[KeyFigure]:
    """The headline tiles, in the order a commander reads them."""
    h = data.headlines
    return [
        KeyFigure("确诊 confirmed", h.confirmed.total, h.confirmed.new, "累计 cumulative"),
        KeyFigure(
            "无症状感染者 asymptomatic", h.asymptomatic.total, h.asymptomatic.new, "累计 cumulative"
        ),
        KeyFigure("疑似 suspected", h.suspected.total, h.suspected.new, "在管 open"),
        KeyFigure(
            "医学观察 under observation",
            h.under_observation.total,
            h.under_observation.new,
            f"密接 close {h.close_contacts_observed} · "
            f"次密接 secondary {h.secondary_contacts_observed}",
        ),
        KeyFigure(
            "风险地区来人 arrivals from risk areas",
            h.risk_area_arrivals.total,
            None,
            "当日 on the day",
        ),
        KeyFigure(
            "发热报告 fever reports",
            h.fever_reports.total,
            None,
            f"自查 self-checks {h.fever_self_checks} · 门诊 clinics {h.fever_clinic_registrations}",
        ),
        KeyFigure("治愈 recovered", h.recovered, None, "累计 cumulative"),
        KeyFigure("死亡 deceased", h.deceased, None, "累计 cumulative"),
    ]


def _plotly_js() -> str:
    """The installed plotly.js bundle, to inline in an offline file."""
    from epicontrol.web.plotly_static import plotly_js_file

    return plotly_js_file().read_text(encoding="utf-8")


def _pages_js() -> str:
    """web/static/pages.js (draws the figures), to inline in an offline file."""
    from epicontrol.web.figures import pages_js

    return pages_js()


def _plotly_url() -> str:
    from epicontrol.web.plotly_static import plotly_js_url

    return plotly_js_url()
