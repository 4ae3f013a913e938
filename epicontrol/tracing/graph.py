"""Plotly figures of transmission: a cluster with contacts collapsed into counts, and one case."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from epicontrol.tracing.chains import ChainOrder, ChainRules, chain_order
from epicontrol.tracing.clusters import (
    HOUSEHOLD,
    NO_PLACE,
    OTHER_PLACES,
    Cluster,
    ContactGroups,
    case_contacts,
    contact_groups,
)

COLUMNS = 4  # contact groups side by side to the right of their case
PLOT_STEPS = 40  # about how many marker widths fit across the plot
CELL = 0.35  # spacing of contact dots in case_figure
ROW_DOTS = 25  # contact dots per line in case_figure
DEGREES = {1: ("close", "#fb8c00", "solid"), 2: ("secondary", "#90a4ae", "dot")}  # label, look
CASE_COLOURS = {"confirmed": "#c62828", "suspected": "#ef6c00"}
# Strings shown to people, English with the Chinese term; move to the catalogue when it exists.
LABELS = {
    "close": "close contacts 密接",
    "secondary": "secondary contacts 次密接",
    "household": "household 家庭",
    "other_places": "{n} other places 其他场所",
    "place": "place {id}",
    "case": "case 病例 #{id}",
    "cases": "cases 病例",
    "cluster": "cluster 聚集性疫情 #{id}: {cases} cases 病例, {n} contacts 接触者",
    "link": "infector link 传播关系",
    "more": "and {n} more 另有{n}人",
    "contact": "contact 接触者",
    "shown": "{n} contacts 接触者 ({k} shown 显示)",
    "onset": "onset 发病",
    "generation": "generation 代",
}


def _place_label(place: int, folded: int, names: Mapping[int, str]) -> str:
    if place == HOUSEHOLD:
        return LABELS["household"]
    if place == OTHER_PLACES:
        return LABELS["other_places"].format(n=folded)
    if place == NO_PLACE:
        return "?"
    return names.get(place, LABELS["place"].format(id=place))


def cluster_figure(
    cluster: Cluster,
    *,
    place_names: Mapping[int, str] | None = None,
    max_nodes: int = 400,
    rules: ChainRules | None = None,
) -> go.Figure:
    """The cluster's transmission graph, aggregated: a node per case at its onset date (x) in a
    lane of its own, ordered along the best-infector tree, and a node per (case, degree, place)
    sized by its number of contacts. Node count grows with cases, not contacts (SORMAS's
    per-person chain graph stops rendering near 19,000 contacts): each case keeps its largest
    places of each degree within `max_nodes` and folds the rest into "N other places". Case
    markers carry customdata = case id, for a page to open `case_figure` on click."""
    names = place_names or {}
    order = chain_order(cluster.cases, cluster.contacts, cluster.links, rules)
    cases = max(len(order.case_id), 1)
    # Each case has up to two group nodes per kept place (one per degree) plus two folds.
    kept = int(np.clip((max_nodes - cases) // (2 * cases) - 1, 0, 8))
    groups = contact_groups(cluster, max_groups_per_case=kept)
    first_day = min(order.day.values(), default=0)
    x, y, group_x, group_y, lanes = _positions(order, groups, first_day)
    figure = go.Figure()
    big = max(int(groups.count.max()) if len(groups.count) else 1, 1)
    sizes = np.round(10 + 14 * np.sqrt(groups.count / big), 1)
    places = [
        _place_label(p, f, names)
        for p, f in zip(groups.place.tolist(), groups.folded_places.tolist(), strict=True)
    ]
    for degree, (name, colour, dash) in DEGREES.items():
        chosen = np.flatnonzero(groups.degree == degree)
        owners = groups.case_id[chosen].tolist()
        figure.add_trace(
            _edges(
                [(x[c], y[c]) for c in owners],
                list(zip(group_x[chosen].tolist(), group_y[chosen].tolist(), strict=True)),
                colour=colour,
                dash=dash,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=group_x[chosen].tolist(),
                y=group_y[chosen].tolist(),
                mode="markers+text",
                name=LABELS[name],
                marker={"size": sizes[chosen].tolist(), "color": colour, "opacity": 0.85},
                # The count inside the marker; the place on hover, else labels would overlap.
                text=groups.count[chosen].tolist(),
                textposition="middle center",
                textfont={"size": 8},
                customdata=[[c, places[i]] for c, i in zip(owners, chosen.tolist(), strict=True)],
                # One template per trace, not a hover string per node: keeps the JSON small.
                hovertemplate=f"%{{text}} · %{{customdata[1]}}<br>"
                f"{LABELS['case'].format(id='%{customdata[0]}')}<extra>{LABELS[name]}</extra>",
            )
        )
    figure.add_trace(_links(order, x, y))
    figure.add_trace(_case_nodes(cluster, order, x, y, groups))
    title = LABELS["cluster"].format(id=cluster.cluster_id, cases=cases, n=groups.contacts)
    _style(figure, lanes, title)
    _date_ticks(figure, first_day, max(order.day.values(), default=0))
    return figure


def _positions(
    order: ChainOrder, groups: ContactGroups, first_day: int
) -> tuple[dict[int, float], dict[int, float], np.ndarray, np.ndarray, float]:
    """x (days since `first_day`) and y (lanes) of cases and groups, and the height in lanes.
    One lane per case so nothing overlaps; its groups sit COLUMNS abreast to its right."""
    per_case: dict[tuple[int, int], list[int]] = {}
    for i, key in enumerate(zip(groups.case_id.tolist(), groups.degree.tolist(), strict=True)):
        per_case.setdefault(key, []).append(i)
    # A step of about one marker width, whatever the number of days on the axis.
    span = max(order.day.values(), default=first_day) - first_day + 2
    step = max(0.25, span / PLOT_STEPS)
    x: dict[int, float] = {}
    y: dict[int, float] = {}
    group_x = np.zeros(len(groups.count))
    group_y = np.zeros(len(groups.count))
    top = 0.0
    for case in order.case_id:
        x[case] = order.day[case] - first_day + 0.5
        start = top
        for degree in (1, 2):  # close contacts on the rows above secondary ones
            members = per_case.get((case, degree), [])
            for k, i in enumerate(members):
                group_x[i] = round(x[case] + step * (1 + k % COLUMNS), 2)
                group_y[i] = top + k // COLUMNS
            top += -(-len(members) // COLUMNS)
        top = max(top, start + 1)
        y[case] = (start + top - 1) / 2
        top += 0.6
    return x, y, group_x, group_y, top


def _date_ticks(figure: go.Figure, first_day: int, last_day: int) -> None:
    """Label the day axis (x = days since `first_day`) with dates, about ten ticks at most."""
    step = max(1, (last_day - first_day + 2) // 10)
    days = list(range(0, last_day - first_day + 2, step))
    figure.update_xaxes(
        tickvals=days,
        ticktext=[str(np.datetime64(first_day + d, "D"))[5:] for d in days],
        showgrid=True,
        gridcolor="#eceff1",
    )


def _edges(
    starts: list[tuple[float, float]],
    ends: list[tuple[float, float]],
    *,
    colour: str,
    dash: str,
) -> go.Scatter:
    """Line segments in one trace, separated by gaps (None), which plotly draws fast."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for (a, b), (c, d) in zip(starts, ends, strict=True):
        xs += [round(a, 2), round(c, 2), None]
        ys += [round(b, 2), round(d, 2), None]
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        line={"color": colour, "width": 1, "dash": dash},
        hoverinfo="skip",
        showlegend=False,
    )


def _links(order: ChainOrder, x: dict[int, float], y: dict[int, float]) -> go.Scatter:
    """Infector -> infectee segments with an arrowhead half-way, pointing along the segment
    (arrows matter: with pre-symptomatic transmission an infectee can fall ill first)."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    sizes: list[int] = []
    for infectee, source in sorted(order.infector.items()):
        mid_x, mid_y = (x[source] + x[infectee]) / 2, (y[source] + y[infectee]) / 2
        xs += [x[source], round(mid_x, 2), x[infectee], None]
        ys += [y[source], round(mid_y, 2), y[infectee], None]
        sizes += [0, 11, 0, 0]
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines+markers",
        name=LABELS["link"],
        line={"color": "#37474f", "width": 1.6},
        marker={"symbol": "arrow", "angleref": "previous", "size": sizes, "color": "#37474f"},
        hoverinfo="skip",
    )


def _case_nodes(
    cluster: Cluster,
    order: ChainOrder,
    x: dict[int, float],
    y: dict[int, float],
    groups: ContactGroups,
) -> go.Scatter:
    cases = cluster.cases
    status = {}
    if "status" in cases.column_names:
        ids, states = cases.column("case_id").to_pylist(), cases.column("status").to_pylist()
        status = dict(zip(ids, states, strict=True))
    shown = order.case_id
    hover = [
        "<br>".join(
            [
                LABELS["case"].format(id=c),
                f"{LABELS['onset']} {np.datetime64(order.day[c], 'D')}",
                f"{LABELS['generation']} {order.generation[c]}",
                f"{LABELS['close']}: {groups.per_case.get((c, 1), 0)}",
                f"{LABELS['secondary']}: {groups.per_case.get((c, 2), 0)}",
            ]
        )
        for c in shown
    ]
    return go.Scatter(
        x=[x[c] for c in shown],
        y=[y[c] for c in shown],
        mode="markers+text",
        name=LABELS["cases"],
        marker={
            "size": 14,
            "color": [CASE_COLOURS.get(status.get(c) or "", "#b71c1c") for c in shown],
            "line": {"color": "white", "width": 1},
        },
        text=[f"#{c}" for c in shown],
        textposition="middle left",
        hovertext=hover,
        hoverinfo="text",
        customdata=shown,
    )


def _style(figure: go.Figure, height_units: float, title: str) -> None:
    # template "none": the default template alone adds ~7 kB to every figure's JSON.
    figure.update_layout(
        template="none",
        title={"text": title, "font": {"size": 14}},
        height=int(min(max(140 + 26 * height_units, 420), 2400)),
        showlegend=True,
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        hovermode="closest",
        plot_bgcolor="white",
        margin={"l": 40, "r": 40, "t": 80, "b": 40},
        xaxis={"zeroline": False, "showgrid": False},
        yaxis={"autorange": "reversed", "visible": False},
    )


def case_figure(
    cluster: Cluster,
    case_id: int,
    *,
    place_names: Mapping[int, str] | None = None,
    max_contacts: int = 200,
    max_groups: int = 12,
) -> go.Figure:
    """One case's individual contacts: a row per (degree, place), at most `max_contacts` dots
    shared fairly between rows (cases first, then longest together), each row ending "and N
    more" when cut. Contacts who are cases are red, with customdata = their case id."""
    names = place_names or {}
    people = case_contacts(cluster, case_id, max_places=max_groups)
    degree = people.column("degree").to_numpy().astype(np.int64)
    place = people.column("place_key").to_numpy()
    resident = people.column("contact_resident_id").to_numpy()
    minutes = people.column("minutes").fill_null(0).to_numpy()
    contact_case = people.column("contact_case_id").to_pylist()
    is_case = people.column("contact_case_id").is_valid().to_numpy(zero_copy_only=False)
    folded: Counter[int] = Counter()
    for d, n in zip(degree.tolist(), people.column("folded_places").to_pylist(), strict=True):
        folded[d] = max(folded[d], n)
    sizes = Counter(zip(degree.tolist(), place.tolist(), strict=True))
    # Rows by degree, the folded "other places" last, then largest first.
    keys = sorted(sizes, key=lambda k: (k[0], k[1] == OTHER_PLACES, -sizes[k], k[1]))
    members = [np.flatnonzero((degree == d) & (place == p)) for d, p in keys]
    members = [m[np.lexsort((resident[m], -minutes[m], ~is_case[m]))] for m in members]
    shown = _fair_shares([len(m) for m in members], max_contacts)
    figure = go.Figure()
    row_y: list[float] = []
    dots: list[int] = []
    dots_x: list[float] = []
    dots_y: list[float] = []
    top = 0.0
    for group, k in zip(members, shown, strict=True):
        row_y.append(top)
        dots += group[:k].tolist()
        dots_x += [1 + (i % ROW_DOTS) * CELL for i in range(k)]
        dots_y += [top + (i // ROW_DOTS) * CELL for i in range(k)]
        if len(group) > k:
            figure.add_annotation(
                x=1 + min(k, ROW_DOTS) * CELL,
                y=top + max(k - 1, 0) // ROW_DOTS * CELL,
                xanchor="left",
                showarrow=False,
                text=LABELS["more"].format(n=len(group) - k),
                font={"size": 10},
            )
        top += max(1, -(-k // ROW_DOTS)) * CELL + 0.5
    largest = max((len(m) for m in members), default=1)
    for d, (name, colour, dash) in DEGREES.items():
        chosen = [i for i, k in enumerate(keys) if k[0] == d]
        ends = [(0.0, row_y[i]) for i in chosen]
        figure.add_trace(_edges([(0.0, -1.0)] * len(chosen), ends, colour="#b0bec5", dash=dash))
        figure.add_trace(
            go.Scatter(
                x=[0.0] * len(chosen),
                y=[row_y[i] for i in chosen],
                mode="markers+text",
                name=LABELS[name],
                marker={
                    "size": [round(8 + 12 * np.sqrt(len(members[i]) / largest), 1) for i in chosen],
                    "color": colour,
                },
                text=[
                    f"{_place_label(keys[i][1], folded[d], names)} · {len(members[i])}"
                    for i in chosen
                ],
                textposition="middle left",
                cliponaxis=False,
                hoverinfo="skip",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=[round(v, 2) for v in dots_x],
            y=[round(v, 2) for v in dots_y],
            mode="markers",
            name=LABELS["contact"],
            marker={"size": 8, "color": ["#c62828" if is_case[i] else "#546e7a" for i in dots]},
            text=[f"#{resident[i]} · {minutes[i]} min" for i in dots],
            customdata=[contact_case[i] for i in dots],
            hovertemplate="%{text}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[0.0],
            y=[-1.0],
            mode="markers+text",
            name=LABELS["case"].format(id=case_id),
            marker={"size": 16, "color": "#b71c1c"},
            text=[f"#{case_id}"],
            textposition="middle left",
            cliponaxis=False,
            hoverinfo="skip",
        )
    )
    shown_text = LABELS["shown"].format(n=len(np.unique(resident)), k=sum(shown))
    title = f"{LABELS['case'].format(id=case_id)}: {shown_text}"
    _style(figure, (top + 1.5) * 1.6, title)
    figure.update_layout(margin={"l": 220})
    figure.update_xaxes(visible=False, range=[-0.4, 1 + ROW_DOTS * CELL + 3])
    return figure


def _fair_shares(sizes: list[int], budget: int) -> list[int]:
    """How many of each group to show: the largest cap t with sum(min(size, t)) <= budget, so
    small groups show whole and large ones share the rest equally; what is left of the budget
    goes one each to the first groups still cut."""
    if sum(sizes) <= budget:
        return list(sizes)
    low, high = 0, max(sizes)
    while low < high:
        cap = (low + high + 1) // 2
        low, high = (cap, high) if sum(min(s, cap) for s in sizes) <= budget else (low, cap - 1)
    shares = [min(s, low) for s in sizes]
    left = budget - sum(shares)
    for i, size in enumerate(sizes):
        if left and size > shares[i]:
            shares[i] += 1
            left -= 1
    return shares
