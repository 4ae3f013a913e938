"""GeoJSON polygon checks and Voronoi approximations of divisions that have no boundary yet."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

POLYGON_TYPES = ("Polygon", "MultiPolygon")
# The box around the centroids reaches this share of their spread beyond the outermost ones,
# and at least MIN_MARGIN_DEGREES (about 300 m), so a lone centroid still gets a visible cell.
MARGIN_SHARE = 0.15
MIN_MARGIN_DEGREES = 0.003
Ring = list[list[float]]


def geometry_problems(geometry: object) -> list[str]:
    """What is wrong with a GeoJSON geometry that should be a WGS84 (Multi)Polygon; [] if fine."""
    if not isinstance(geometry, dict):
        return ["geometry is missing"]
    kind = geometry.get("type")
    if kind not in POLYGON_TYPES:
        return [f"geometry type '{kind}' is not Polygon or MultiPolygon"]
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return _polygon_problems(coordinates, "")
    if not isinstance(coordinates, list) or not coordinates:
        return ["a MultiPolygon needs a non-empty list of polygons"]
    problems: list[str] = []
    for number, polygon in enumerate(coordinates, start=1):
        problems.extend(_polygon_problems(polygon, f"polygon {number}: "))
    return problems


def _polygon_problems(rings: object, where: str) -> list[str]:
    if not isinstance(rings, list) or not rings:
        return [f"{where}a polygon needs a non-empty list of rings"]
    problems: list[str] = []
    for number, ring in enumerate(rings, start=1):
        problems.extend(_ring_problems(ring, f"{where}ring {number}: "))
    return problems


def _ring_problems(ring: object, where: str) -> list[str]:
    if not isinstance(ring, list) or len(ring) < 4:
        return [f"{where}a ring needs at least 4 positions"]
    for number, position in enumerate(ring, start=1):
        problem = _position_problem(position)
        if problem:
            return [f"{where}position {number} {problem}"]
    if list(ring[0][:2]) != list(ring[-1][:2]):
        return [f"{where}the ring is not closed (its last position must repeat the first)"]
    return []


def _position_problem(position: object) -> str | None:
    if not isinstance(position, list) or len(position) not in (2, 3):
        return "is not [longitude, latitude]"
    if not all(_is_number(value) for value in position):
        return "has a coordinate that is not a finite number"
    longitude, latitude = position[0], position[1]
    if not -180 <= longitude <= 180 or not -90 <= latitude <= 90:
        return f"({longitude}, {latitude}) is outside longitude -180..180, latitude -90..90"
    return None


def _is_number(value: object) -> bool:
    # JSON true/false parse as bool, which Python counts as int.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def clean_geometry(geometry: dict[str, Any]) -> dict[str, Any]:
    """Only the type and the [longitude, latitude] positions of a checked geometry: foreign
    members and altitudes dropped (the maps are flat and read two numbers a position)."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    flat = [[[position[:2] for position in ring] for ring in rings] for rings in polygons]
    return {
        "type": geometry["type"],
        "coordinates": flat[0] if geometry["type"] == "Polygon" else flat,
    }


def voronoi_cells(points: Sequence[tuple[float, float]]) -> list[Ring]:
    """A closed counter-clockwise ring per (longitude, latitude) point: its Voronoi cell, clipped
    to a box around all points. Points at the same place share one cell."""
    import numpy as np
    from scipy.spatial import Voronoi

    if not points:
        return []
    lonlat = np.asarray(points, dtype=float)
    # Longitude degrees shrink with latitude; scaling them keeps the cells fair on the ground.
    x_scale = math.cos(math.radians(float(lonlat[:, 1].mean())))
    planar = lonlat * np.array([x_scale, 1.0])
    unique, which = np.unique(planar, axis=0, return_inverse=True)
    low, high = _box(unique)
    # Mirroring every point across the four sides of the box makes the sides part of the
    # diagram: each real point's cell is then finite and already clipped to the box.
    mirrored = [unique]
    for axis, edge in ((0, low[0]), (0, high[0]), (1, low[1]), (1, high[1])):
        image = unique.copy()
        image[:, axis] = 2 * edge - image[:, axis]
        mirrored.append(image)
    diagram = Voronoi(np.concatenate(mirrored))
    rings = [_ring(diagram, index, unique[index], x_scale) for index in range(len(unique))]
    return [rings[index] for index in np.asarray(which).reshape(-1)]


def _box(planar: Any) -> tuple[Any, Any]:
    low, high = planar.min(axis=0), planar.max(axis=0)
    margin = max(MARGIN_SHARE * float((high - low).max()), MIN_MARGIN_DEGREES)
    return low - margin, high + margin


def _ring(diagram: Any, index: int, centre: Any, x_scale: float) -> Ring:
    import numpy as np

    vertices = diagram.vertices[diagram.regions[diagram.point_region[index]]]
    # A Voronoi cell is convex and holds its point: ordering by angle around the point
    # gives the boundary counter-clockwise, as RFC 7946 wants exterior rings.
    angles = np.arctan2(vertices[:, 1] - centre[1], vertices[:, 0] - centre[0])
    ordered = vertices[np.argsort(angles)]
    ring = [[round(float(x) / x_scale, 6), round(float(y), 6)] for x, y in ordered]
    return [*ring, ring[0]]


def wound(geometry: dict[str, Any], *, exterior_clockwise: bool) -> dict[str, Any]:
    """The geometry with its rings turned one way: exteriors counter-clockwise and holes
    clockwise (RFC 7946), or the reverse (`exterior_clockwise`, as d3-geo and Plotly's `geo`
    maps expect: they fill the outside of a counter-clockwise ring)."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    turned = [
        [
            _turned(ring, clockwise=(number == 0) == exterior_clockwise)
            for number, ring in enumerate(rings)
        ]
        for rings in polygons
    ]
    coordinates = turned[0] if geometry["type"] == "Polygon" else turned
    return {"type": geometry["type"], "coordinates": coordinates}


def _turned(ring: Ring, *, clockwise: bool) -> Ring:
    # Shoelace sum about the first position: small rings far from (0, 0) keep their precision.
    x0, y0 = ring[0][0], ring[0][1]
    twice_area = sum(
        (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
        for (x1, y1, *_), (x2, y2, *_) in zip(ring, ring[1:], strict=False)
    )
    return ring[::-1] if (twice_area < 0) != clockwise else ring
