"""Division boundaries: GeoJSON import (all or nothing) and the subdivision map of a division."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from epicontrol.core.db import in_chunks, utcnow
from epicontrol.core.errors import InvalidInput
from epicontrol.divisions.boundary_geometry import (
    clean_geometry,
    geometry_problems,
    voronoi_cells,
    wound,
)
from epicontrol.divisions.boundary_models import BoundarySource, DivisionBoundary
from epicontrol.divisions.models import Division


@dataclass(frozen=True)
class FeatureError:
    """One problem of a boundary file; `feature` counts from 1 in the file's order."""

    feature: int
    message: str

    def __str__(self) -> str:
        return f"feature {self.feature}: {self.message}"


class BoundaryFileInvalid(InvalidInput):
    """A boundary file with problems; nothing of it is stored."""

    def __init__(self, errors: list[FeatureError]) -> None:
        super().__init__(f"{len(errors)} problems in the boundary file; nothing imported")
        self.errors = errors


def parse_boundary_file(data: bytes) -> dict[str, Any]:
    """The GeoJSON FeatureCollection in `data`, or InvalidInput saying why it is not one."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"the file is not JSON: {error}") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InvalidInput("the file is not a GeoJSON FeatureCollection")
    if not isinstance(document.get("features"), list):
        raise InvalidInput("the FeatureCollection has no list of features")
    return document


def import_boundaries(db: Session, *, document: dict[str, Any]) -> int:
    """Store each feature's geometry as the boundary of the division whose code it names,
    replacing an earlier one; any problem raises BoundaryFileInvalid and stores nothing."""
    features: list[Any] = document["features"]
    if not features:
        raise InvalidInput("the FeatureCollection has no features")
    divisions = _divisions_by_code(db, _codes(features))
    geometries, errors = _checked(features, divisions)
    if errors:
        raise BoundaryFileInvalid(errors)
    ids = list(geometries)
    for chunk in in_chunks(ids):
        db.execute(delete(DivisionBoundary).where(DivisionBoundary.division_id.in_(chunk)))
    now = utcnow()
    db.add_all(
        DivisionBoundary(
            division_id=division_id,
            geometry=json.dumps(geometry, separators=(",", ":")),
            source=BoundarySource.IMPORTED.value,
            imported_at=now,
        )
        for division_id, geometry in geometries.items()
    )
    db.flush()
    return len(geometries)


def _codes(features: list[Any]) -> list[str]:
    return [code for feature in features if (code := _code_of(feature))]


def _code_of(feature: object) -> str | None:
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        return None
    code = feature["properties"].get("code")
    # Codes such as 520102 are often written as numbers by GIS tools.
    if isinstance(code, int) and not isinstance(code, bool):
        return str(code)
    return code.strip() if isinstance(code, str) and code.strip() else None


def _divisions_by_code(db: Session, codes: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in in_chunks(sorted(set(codes))):
        query = select(Division.code, Division.id).where(Division.code.in_(chunk))
        found.update((code, division_id) for code, division_id in db.execute(query))
    return found


def _checked(
    features: list[Any], divisions: dict[str, int]
) -> tuple[dict[int, dict[str, Any]], list[FeatureError]]:
    geometries: dict[int, dict[str, Any]] = {}
    first_seen: dict[str, int] = {}
    errors: list[FeatureError] = []
    for number, feature in enumerate(features, start=1):
        problems = _feature_problems(feature, divisions, first_seen, number)
        errors.extend(FeatureError(number, problem) for problem in problems)
        code = _code_of(feature)
        if not problems and code is not None:
            geometries[divisions[code]] = clean_geometry(feature["geometry"])
    return geometries, errors


def _feature_problems(
    feature: object, divisions: dict[str, int], first_seen: dict[str, int], number: int
) -> list[str]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return ["not a GeoJSON Feature"]
    code = _code_of(feature)
    problems: list[str] = []
    if code is None:
        problems.append("properties.code is missing")
    elif code not in divisions:
        problems.append(f"no division has code '{code}'")
    elif code in first_seen:
        problems.append(f"code '{code}' already given by feature {first_seen[code]}")
    else:
        first_seen[code] = number
    return problems + geometry_problems(feature.get("geometry"))


def children_feature_collection(
    db: Session, division: Division, *, exterior_clockwise: bool = False
) -> dict[str, Any]:
    """The direct subdivisions of `division` as a GeoJSON FeatureCollection (feature id =
    division id): stored boundaries where imported, Voronoi cells of the centroids otherwise
    (`approximate` true); a child with neither a boundary nor coordinates is left out. Rings
    are wound as RFC 7946 says, or clockwise outside for Plotly `geo` maps (d3-geo)."""
    query = (
        select(Division, DivisionBoundary.geometry)
        .outerjoin(DivisionBoundary, DivisionBoundary.division_id == Division.id)
        .where(Division.parent_id == division.id)
        .order_by(Division.code)
    )
    rows = [(child, stored) for child, stored in db.execute(query)]
    # Every child with a centroid takes part, so approximated cells stop at imported neighbours.
    centroids = {child.id: point for child, _ in rows if (point := _centroid(child))}
    cells = voronoi_cells(list(centroids.values()))
    approximations = dict(zip(centroids, cells, strict=True))
    features = []
    for child, stored in rows:
        if stored is not None:
            geometry = wound(json.loads(stored), exterior_clockwise=exterior_clockwise)
            features.append(_feature(child, geometry, approximate=False))
        elif child.id in approximations:
            polygon = {"type": "Polygon", "coordinates": [approximations[child.id]]}
            geometry = wound(polygon, exterior_clockwise=exterior_clockwise)
            features.append(_feature(child, geometry, approximate=True))
    return {"type": "FeatureCollection", "features": features}


def _centroid(child: Division) -> tuple[float, float] | None:
    if child.longitude is None or child.latitude is None:
        return None
    return (child.longitude, child.latitude)


def _feature(child: Division, geometry: dict[str, Any], *, approximate: bool) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": child.id,
        "geometry": geometry,
        "properties": {
            "name": child.name,
            "code": child.code,
            "level": child.level,
            "approximate": approximate,
        },
    }
