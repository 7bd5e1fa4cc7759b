"""The maps' base layer: the tile settings, the CSP they open, and the own-data base's endpoints."""

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template

from yiwang.regions import basemap
from yiwang.registry.models import Building, Place
from yiwang.settings import tile_image_sources


def _settings_in_child(env: dict) -> dict:
    """Import the settings in a fresh interpreter with `env`, as a deployment would start."""
    code = "import json; from yiwang import settings as s; print(json.dumps(s.SECURE_CSP))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("YIWANG_TILE_", "YIWANG_CSP_"))}
    out = subprocess.run([sys.executable, "-c", code], env=clean | env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_csp_img_src_without_a_tile_server_is_only_our_own():
    csp = _settings_in_child({})
    assert csp["img-src"] == ["'self'", "data:", "blob:"]


def test_csp_img_src_adds_the_tile_host_and_nothing_else():
    csp = _settings_in_child({"YIWANG_TILE_URL": "https://tiles.example.gov.cn:8443/vec/{z}/{x}/{y}.png?tk=abc"})
    assert csp["img-src"] == ["'self'", "data:", "blob:", "https://tiles.example.gov.cn:8443"]
    # Tiles are images: scripts and requests still go nowhere else.
    assert csp["connect-src"] == ["'self'"] and csp["script-src"] == ["'self'"]


def test_tile_image_sources():
    assert tile_image_sources("http://127.0.0.1:8123/{z}/{x}/{y}.png") == ["http://127.0.0.1:8123"]
    assert tile_image_sources("https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=k") == ["https://*.tianditu.gov.cn"]
    assert tile_image_sources("") == []
    assert tile_image_sources("/tiles/{z}/{x}/{y}.png") == []  # our own host: 'self' covers it


def test_wmts_becomes_a_tile_template(settings):
    settings.YIWANG_TILE_URL = "https://gis.example.gov.cn/wmts?tk=abc"
    settings.YIWANG_TILE_KIND = "wmts"
    settings.YIWANG_WMTS_LAYER = "vec"
    settings.YIWANG_WMTS_MATRIX_SET = "w"
    settings.YIWANG_WMTS_FORMAT = "tiles"
    source = basemap.tile_source()
    assert source.template == (
        "https://gis.example.gov.cn/wmts?tk=abc&SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
        "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}")


def test_bad_tile_settings_are_named(settings):
    settings.YIWANG_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    settings.YIWANG_TILE_CRS = "bd09"
    with pytest.raises(ImproperlyConfigured, match="YIWANG_TILE_CRS"):
        basemap.tile_source()
    settings.YIWANG_TILE_CRS = "wgs84"
    settings.YIWANG_TILE_KIND = "wmts"
    with pytest.raises(ImproperlyConfigured, match="YIWANG_WMTS_LAYER"):
        basemap.tile_source()


def test_a_geographic_grid_and_its_zoom_offset(settings):
    settings.YIWANG_TILE_URL = "https://t{s}.tianditu.gov.cn/vec_c/wmts?tk=abc"
    settings.YIWANG_TILE_KIND = "wmts"
    settings.YIWANG_WMTS_LAYER = "vec"
    settings.YIWANG_WMTS_MATRIX_SET = "c"
    settings.YIWANG_TILE_GRID = "geographic"
    settings.YIWANG_TILE_ZOOM_OFFSET = 1
    source = basemap.tile_source()
    assert source.grid == "geographic" and source.zoom_offset == 1 and "TILEMATRIXSET=c" in source.template
    html = Template("{% load mapbase %}{% map_base_script %}").render(Context())
    assert 'data-tile-grid="geographic"' in html and 'data-tile-zoom-offset="1"' in html
    settings.YIWANG_TILE_GRID = "lambert"
    with pytest.raises(ImproperlyConfigured, match="YIWANG_TILE_GRID"):
        basemap.tile_source()
    settings.YIWANG_TILE_GRID = "geographic"
    settings.YIWANG_TILE_ZOOM_OFFSET = -1
    with pytest.raises(ImproperlyConfigured, match="YIWANG_TILE_ZOOM_OFFSET"):
        basemap.tile_source()


def test_the_script_tag_carries_the_settings(settings):
    render = lambda: Template('{% load mapbase %}{% map_base_script "public" %}').render(Context())  # noqa: E731
    settings.YIWANG_TILE_URL = ""
    html = render()
    assert "web/mapbase.js" in html and 'data-audience="public"' in html and "data-tile-url" not in html
    settings.YIWANG_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    settings.YIWANG_TILE_CRS = "gcj02"
    settings.YIWANG_TILE_ATTRIBUTION = "© 某市测绘院 <b>"
    html = render()
    assert 'data-tile-url="https://tiles.example/{z}/{x}/{y}.png"' in html
    assert 'data-tile-crs="gcj02"' in html and 'data-tile-max-zoom="18"' in html
    assert "&lt;b&gt;" in html and "<b>" not in html


def test_parse_bbox_names_the_field():
    from django.core.exceptions import ValidationError

    assert basemap.parse_bbox("108.3,31.1,108.4,31.2") == (108.3, 31.1, 108.4, 31.2)
    assert basemap.parse_bbox(None) is None
    for bad in ("1,2,3", "a,b,c,d", "108.4,31.1,108.3,31.2", "nan,1,2,3", "0,0,200,10"):
        with pytest.raises(ValidationError) as caught:
            basemap.parse_bbox(bad)
        assert "bbox" in caught.value.message_dict


# The endpoints ----------------------------------------------------------------------------------

BBOX = {"bbox": "108.29,31.09,108.51,31.31"}


@pytest.fixture
def places(tree):
    Building.objects.create(region=tree.micro_a1, code="B-A", name="永先小区3栋", lon=108.302, lat=31.105)
    Building.objects.create(region=tree.micro_b1, code="B-B", name="东城小区8栋", lon=108.315, lat=31.105)
    Building.objects.create(region=tree.micro_a1, code="B-N", name="无坐标楼", lon=None, lat=None)
    Place.objects.create(region=tree.micro_a1, name="永先小学", kind="school", lon=108.303, lat=31.106)
    Place.objects.create(region=tree.micro_a1, name="老王烟酒店", kind="shop", lon=108.304, lat=31.106)
    Place.objects.create(region=tree.micro_b1, name="东城卫生站", kind="hospital", lon=108.316, lat=31.106)


def _client(user=None):
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
def test_outlines_are_scoped(tree, users):
    names = lambda body: {f["properties"]["name"] for f in body["features"]}  # noqa: E731
    worker = _client(users["worker_a"]).get("/api/regions/basemap/outlines", BBOX).json()
    assert names(worker) == {"永先社区第1网格"}
    street = _client(users["street"]).get("/api/regions/basemap/outlines", BBOX).json()
    assert names(street) == {"云枫街道", "永先社区", "永先社区第1网格", "永先社区第2网格"}
    assert [f["properties"]["level"] for f in street["features"]][0] == "street"  # coarsest first
    assert street["truncated"] is False
    # Outside the box: nothing.
    assert _client(users["street"]).get("/api/regions/basemap/outlines", {"bbox": "100,20,100.1,20.1"}).json()["features"] == []
    assert _client().get("/api/regions/basemap/outlines", BBOX).status_code == 401
    refused = _client(users["street"]).get("/api/regions/basemap/outlines", {"bbox": "x"})
    assert refused.status_code == 422 and "bbox" in refused.json()["detail"]


@pytest.mark.django_db
def test_public_outlines_are_names_and_shapes_only(tree):
    response = _client().get("/api/regions/basemap/public-outlines", BBOX)
    assert response.status_code == 200 and "public" in response["Cache-Control"]
    body = response.json()
    assert {f["properties"]["name"] for f in body["features"]} >= {"云枫街道", "汉丰街道", "永先社区", "永先社区第2网格"}
    assert all(set(f["properties"]) == {"code", "name", "level"} for f in body["features"])
    assert "micro_grid" not in {f["properties"]["level"] for f in body["features"]}


@pytest.mark.django_db
def test_buildings_and_places_are_scoped(tree, users, places):
    body = _client(users["worker_a"]).get("/api/registry/basemap", BBOX).json()
    assert [b["name"] for b in body["buildings"]] == ["永先小区3栋"]
    assert {p["name"] for p in body["places"]} == {"永先小学", "老王烟酒店"}
    assert set(body["buildings"][0]) == {"name", "lon", "lat"}
    street = _client(users["street"]).get("/api/registry/basemap", BBOX).json()
    assert {b["name"] for b in street["buildings"]} == {"永先小区3栋", "东城小区8栋"}
    # A view that holds only grid B's building.
    near_b = _client(users["street"]).get("/api/registry/basemap", {"bbox": "108.314,31.104,108.3155,31.1055"}).json()
    assert [b["name"] for b in near_b["buildings"]] == ["东城小区8栋"] and near_b["places"] == []
    # Residents' accounts see nothing through the staff endpoint; the view is required.
    assert _client(users["resident"]).get("/api/registry/basemap", BBOX).json() == {"buildings": [], "places": [], "truncated": False}
    missing = _client(users["street"]).get("/api/registry/basemap")
    assert missing.status_code == 422 and "bbox" in missing.json()["detail"]


@pytest.mark.django_db
def test_public_features_are_public_places_only(tree, places):
    body = _client().get("/api/registry/basemap/public", BBOX).json()
    assert body["buildings"] == []
    assert {p["name"] for p in body["places"]} == {"永先小学", "东城卫生站"}
    assert all(set(p) == {"name", "kind", "lon", "lat"} for p in body["places"])


@pytest.mark.django_db
def test_features_are_bounded(tree, users, monkeypatch):
    from yiwang.registry import selectors

    monkeypatch.setattr(selectors, "BASEMAP_LIMIT", 2)
    for i in range(3):
        Building.objects.create(region=tree.micro_a1, code=f"B-{i}", name=f"{i}栋", lon=108.302, lat=31.105)
    body = _client(users["street"]).get("/api/registry/basemap", BBOX).json()
    assert len(body["buildings"]) == 2 and body["truncated"] is True


def test_the_system_check_refuses_unusable_tile_settings(settings):
    settings.YIWANG_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    assert basemap.check_tile_settings() == []
    settings.YIWANG_TILE_KIND = "tms"
    [error] = basemap.check_tile_settings()
    assert error.id == "yiwang.E101" and "YIWANG_TILE_KIND" in error.msg
