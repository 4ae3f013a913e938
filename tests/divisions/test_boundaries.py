"""Division boundaries: approximate cells hold their centroids, imports round-trip, bad files
are refused by feature number with nothing stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.cli import app
from epicontrol.core.settings import get_settings
from epicontrol.divisions.boundaries import (
    BoundaryFileInvalid,
    children_feature_collection,
    import_boundaries,
)
from epicontrol.divisions.boundary_geometry import voronoi_cells
from epicontrol.divisions.boundary_models import DivisionBoundary
from epicontrol.divisions.models import Division, DivisionLevel
from tests.factories import City

# Guiyang-like centroids (lon, lat) for the city's districts; d3 has none and is left out.
CENTROIDS = {
    "d1": (106.71, 26.58),
    "d2": (106.63, 26.65),
    "d4": (106.76, 26.67),
    "d5": (106.69, 26.50),
    "d6": (106.70, 26.6005),  # close to d1: a thin cell still holds its own centroid
}
SQUARE = [[[106.6, 26.5], [106.8, 26.5], [106.8, 26.7], [106.6, 26.7], [106.6, 26.5]]]


def _contains(ring: list[list[float]], point: tuple[float, float]) -> bool:
    """Ray casting: is `point` strictly inside the closed ring?"""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)) / 2


def _districts(db: Session, city: City) -> City:
    """Five more-or-less placed districts under the city (d1, d2 from make_city; d3 unplaced)."""
    root = db.get_one(Division, city.divisions["city"])
    for name in ("d3", "d4", "d5", "d6"):
        division = Division(
            code=f"4101{name}", name=f"区 {name}", level=DivisionLevel.DISTRICT, parent_id=root.id
        )
        division.path = ""
        db.add(division)
        db.flush()
        division.path = f"{root.path}{division.id}/"
        city.divisions[name] = division.id
    for name, (longitude, latitude) in CENTROIDS.items():
        placed = db.get_one(Division, city.divisions[name])
        placed.longitude, placed.latitude = longitude, latitude
    db.commit()
    return city


def _collection(file_features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": file_features}


def _feature(code: object, geometry: object) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"code": code}, "geometry": geometry}


def _map(db: Session, city: City) -> dict[int, dict[str, Any]]:
    root = db.get_one(Division, city.divisions["city"])
    collection = children_feature_collection(db, root)
    assert collection["type"] == "FeatureCollection"
    return {feature["id"]: feature for feature in collection["features"]}


def test_each_placed_child_gets_one_approximate_cell_holding_its_own_centroid_only(
    db: Session, city: City
) -> None:
    _districts(db, city)

    features = _map(db, city)

    ids = {city.divisions[name]: name for name in CENTROIDS}
    assert set(features) == set(ids)  # d3 has no coordinates and no boundary
    for division_id, feature in features.items():
        assert feature["properties"]["approximate"] is True
        assert feature["properties"]["level"] == "district"
        assert feature["geometry"]["type"] == "Polygon"
        (ring,) = feature["geometry"]["coordinates"]
        assert ring[0] == ring[-1] and _signed_area(ring) > 0  # closed, counter-clockwise
        for other_id, other in ids.items():
            assert _contains(ring, CENTROIDS[other]) is (other_id == division_id)


def test_a_lone_child_and_children_at_one_place_still_get_shapes() -> None:
    (lone,) = voronoi_cells([(106.7, 26.6)])
    assert _contains(lone, (106.7, 26.6)) and len(lone) == 5
    twins = voronoi_cells([(106.7, 26.6), (106.8, 26.6), (106.7, 26.6)])
    assert twins[0] == twins[2] != twins[1]
    assert voronoi_cells([]) == []


def test_imported_boundary_round_trips_and_a_reimport_replaces_it(db: Session, city: City) -> None:
    _districts(db, city)
    multi = {
        "type": "MultiPolygon",
        "coordinates": [SQUARE, [[[106.9, 26.9], [107.0, 26.9], [107.0, 27.0], [106.9, 26.9]]]],
    }
    document = _collection(
        [
            _feature("410102", multi),
            _feature(410103, {"type": "Polygon", "coordinates": SQUARE}),
            _feature("4101d3", {"type": "Polygon", "coordinates": SQUARE}),
        ]
    )
    assert import_boundaries(db, document=document) == 3
    db.commit()

    features = _map(db, city)
    d1 = features[city.divisions["d1"]]
    assert d1["geometry"] == multi and d1["properties"]["approximate"] is False
    assert features[city.divisions["d3"]]["properties"]["approximate"] is False  # no centroid
    assert features[city.divisions["d4"]]["properties"]["approximate"] is True

    replacement = {"type": "Polygon", "coordinates": SQUARE}
    with_altitudes = {
        "type": "Polygon",
        "coordinates": [[[*position, 1071.5] for position in SQUARE[0]]],
        "bbox": [106.6, 26.5, 106.8, 26.7],
    }
    feature = _feature("410102", with_altitudes)
    assert import_boundaries(db, document=_collection([feature])) == 1
    db.commit()
    assert _map(db, city)[city.divisions["d1"]]["geometry"] == replacement  # flat, no bbox
    assert db.scalar(select(func.count()).select_from(DivisionBoundary)) == 3


def test_rings_are_wound_one_way_for_geojson_readers_and_the_other_for_plotly_geo(
    db: Session, city: City
) -> None:
    _districts(db, city)
    hole = [[106.65, 26.55], [106.65, 26.65], [106.75, 26.65], [106.75, 26.55], [106.65, 26.55]]
    clockwise_outside = [SQUARE[0][::-1], hole[::-1]]  # as drawn by a d3-minded tool
    polygon = {"type": "Polygon", "coordinates": clockwise_outside}
    import_boundaries(db, document=_collection([_feature("410102", polygon)]))
    db.commit()
    root = db.get_one(Division, city.divisions["city"])

    rfc = {f["id"]: f for f in children_feature_collection(db, root)["features"]}
    d3 = {
        f["id"]: f
        for f in children_feature_collection(db, root, exterior_clockwise=True)["features"]
    }

    outside, inside = rfc[city.divisions["d1"]]["geometry"]["coordinates"]
    assert _signed_area(outside) > 0 > _signed_area(inside)
    assert sorted(map(tuple, outside)) == sorted(map(tuple, SQUARE[0]))
    assert d3[city.divisions["d1"]]["geometry"]["coordinates"] == clockwise_outside
    (cell,) = d3[city.divisions["d4"]]["geometry"]["coordinates"]
    assert _signed_area(cell) < 0


def test_a_bad_file_is_refused_feature_by_feature_and_nothing_changes(
    db: Session, city: City
) -> None:
    kept = {"type": "Polygon", "coordinates": SQUARE}
    import_boundaries(db, document=_collection([_feature("410102", kept)]))
    db.commit()
    open_ring = [[[106.6, 26.5], [106.8, 26.5], [106.8, 26.7], [106.6, 26.7]]]
    bad = _collection(
        [
            _feature("410102", {"type": "Polygon", "coordinates": [SQUARE[0][::-1]]}),  # fine
            _feature("999999", kept),
            _feature("410103", {"type": "Point", "coordinates": [106.7, 26.6]}),
            _feature("410102001", {"type": "Polygon", "coordinates": [[[106.6, 95.0]] * 4]}),
            _feature("410102001001", {"type": "Polygon", "coordinates": open_ring}),
            _feature("410102", kept),
            {"type": "Feature", "geometry": kept},
        ]
    )

    with pytest.raises(BoundaryFileInvalid) as refused:
        import_boundaries(db, document=bad)
    db.rollback()

    messages = {error.feature: error.message for error in refused.value.errors}
    assert sorted(messages) == [2, 3, 4, 5, 6, 7]
    assert "no division has code '999999'" in messages[2]
    assert "'Point' is not Polygon or MultiPolygon" in messages[3]
    assert "outside longitude" in messages[4]
    assert "not closed" in messages[5]
    assert "already given by feature 1" in messages[6]
    assert "properties.code is missing" in messages[7]
    stored = db.scalars(select(DivisionBoundary)).all()
    assert [(b.division_id, json.loads(b.geometry)) for b in stored] == [
        (city.divisions["d1"], kept)
    ]


def test_cli_imports_a_file_and_refuses_a_bad_one(
    db: Session, city: City, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "districts.geojson"
    good.write_text(
        json.dumps(_collection([_feature("410102", {"type": "Polygon", "coordinates": SQUARE})]))
    )
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(_collection([_feature("nope", {"type": "LineString"})])))
    not_json = tmp_path / "broken.geojson"
    not_json.write_text("{")
    monkeypatch.setenv("EPICONTROL_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        refused = CliRunner().invoke(app, ["divisions", "import-boundaries", str(bad)])
        assert refused.exit_code == 1, refused.output
        assert "feature 1: no division has code 'nope'" in refused.output
        assert "feature 1: geometry type 'LineString'" in refused.output
        broken = CliRunner().invoke(app, ["divisions", "import-boundaries", str(not_json)])
        assert broken.exit_code == 1 and "not JSON" in broken.output
        assert db.scalar(select(func.count()).select_from(DivisionBoundary)) == 0
        done = CliRunner().invoke(app, ["divisions", "import-boundaries", str(good)])
        assert done.exit_code == 0, done.output
        assert "imported 1 division boundaries" in done.output
    finally:
        get_settings.cache_clear()
    db.expire_all()
    assert db.scalars(select(DivisionBoundary.division_id)).all() == [city.divisions["d1"]]
