"""The maps' base in Chromium: tiles from a configured tile server (a stand-in on 127.0.0.1), the base
drawn from our own data when there is none, and GCJ-02 tiles under our WGS-84 shapes and points."""

import io
import math
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect  # waits without eval, which the pages' CSP refuses

from yiwang.regions import coords
from yiwang.registry.models import Building, Place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TILE_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (214, 226, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def tile_server():
    """A tile server stand-in: a PNG for any /{z}/{x}/{y}.png, and the paths it was asked for."""
    image = _png()
    asked: list[str] = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server hook's name
            asked.append(self.path)
            if not TILE_PATH.match(self.path):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.origin = f"http://127.0.0.1:{server.server_address[1]}"
    server.asked = asked
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def tiles(settings, tile_server):
    """The site configured for the stand-in, as YIWANG_TILE_URL would configure it at start-up."""
    from yiwang.settings import tile_image_sources

    settings.YIWANG_TILE_URL = tile_server.origin + "/{z}/{x}/{y}.png"
    settings.YIWANG_TILE_CRS = "wgs84"
    settings.SECURE_CSP = {**settings.SECURE_CSP, "img-src": [*settings.SECURE_CSP["img-src"], *tile_image_sources(settings.YIWANG_TILE_URL)]}
    return tile_server


@pytest.fixture
def registry(tree, users):
    Building.objects.create(region=tree.micro_a1, code="B-A", name="永先小区3栋", lon=108.302, lat=31.105)
    Place.objects.create(region=tree.micro_a1, name="永先小学", kind="school", lon=108.3035, lat=31.1035)
    Place.objects.create(region=tree.micro_a1, name="老王烟酒店", kind="shop", lon=108.3065, lat=31.1065)
    return tree


def _zoom_in_until(page, pick, wanted, on=None, clicks=4):
    """Zoom in (by the + button, or by double-clicks on `on`) until `wanted` shows."""
    for _ in range(clicks):
        if wanted.count():
            return
        if on is None:
            pick.locator(".leaflet-control-zoom-in").click()
        else:
            box = on.bounding_box()
            page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(600)  # the zoom animation, then the base's fetch


def _screen_position(tiles, lon_lat):
    """Where (lon, lat), read as the tiles' own coordinates, is on screen: found through the tile
    image that holds it (its z/x/y and where Leaflet put it), or None if no tile shown holds it."""
    lon, lat = lon_lat
    for index in range(tiles.count()):
        tile = tiles.nth(index)
        z, x, y = map(int, TILE_PATH.match("/" + tile.get_attribute("src").split("/", 3)[3]).groups())
        size = 256 * 2**z
        world_x = (lon + 180) / 360 * size
        world_y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * size
        box = tile.bounding_box()
        scale = box["width"] / 256
        across, down = (world_x - x * 256) * scale, (world_y - y * 256) * scale
        if 0 <= across < box["width"] and 0 <= down < box["height"]:
            return box["x"] + across, box["y"] + down
    return None


def _tile_images(page, origin):
    return page.locator(f"img.leaflet-tile[src^='{origin}/']")


def test_the_map_draws_tiles_from_the_configured_server(page, login, live_server, registry, tiles, make_user):
    make_user("street_user", "street", registry.street)
    login("street_user")
    expect(page.locator("#map")).to_have_attribute("data-base", "tiles")
    expect(page.locator("#map")).to_have_attribute("data-current", "500154003000")
    # Leaflet marks a tile loaded once the image has arrived and decoded.
    expect(_tile_images(page, tiles.origin).and_(page.locator(".leaflet-tile-loaded")).first).to_be_visible()
    # The rest of the view's tiles arrive in their own time: the first loaded one says nothing of them.
    expect(_tile_images(page, tiles.origin).nth(3)).to_be_attached()
    for _ in range(50):
        if len(tiles.asked) >= 4:
            break
        page.wait_for_timeout(100)
    assert all(TILE_PATH.match(p) for p in tiles.asked) and len(tiles.asked) >= 4
    z, x, y = map(int, TILE_PATH.match(tiles.asked[0]).groups())
    # The tiles asked are around the street (108.3–108.4 E, 31.1–31.2 N) at the zoom shown.
    lon_west, lon_east = x / 2**z * 360 - 180, (x + 1) / 2**z * 360 - 180
    assert lon_west < 108.45 and lon_east > 108.25
    # No own-data base when a tile server is configured.
    assert page.locator(".base-label").count() == 0

    # The point picker draws the same tiles.
    page.goto(f"{live_server.url}/cases/report/")
    expect(page.locator("#pick-map")).to_have_attribute("data-base", "tiles")
    expect(_tile_images(page, tiles.origin).first).to_be_visible()


def test_without_a_tile_server_the_base_is_our_own_data(page, login, live_server, registry, settings):
    settings.YIWANG_TILE_URL = ""
    login("worker_a")
    page.goto(f"{live_server.url}/cases/report/")
    pick = page.locator("#pick-map")
    expect(pick).to_have_attribute("data-ready", "1")
    expect(pick.locator(".base-label-grid", has_text="永先社区第1网格")).to_be_visible()
    assert page.locator("img.leaflet-tile").count() == 0
    # Closer in, the registry's buildings and places with their names.
    _zoom_in_until(page, pick, pick.locator(".base-label-building"))
    expect(pick.locator(".base-label-building", has_text="永先小区3栋")).to_be_visible()
    expect(pick.locator(".base-label-place", has_text="永先小学")).to_be_visible()
    expect(pick.locator(".base-label-place", has_text="老王烟酒店")).to_be_visible()


def test_residents_see_only_public_names(page, live_server, registry, settings):
    settings.YIWANG_TILE_URL = ""
    page.goto(f"{live_server.url}/report/")
    pick = page.locator("#pick-map")
    expect(pick).to_have_attribute("data-ready", "1")
    expect(pick.locator(".base-label-grid", has_text="永先社区第2网格")).to_be_visible()
    # Zoom into grid A: the public school's name shows; the shop and the building never do.
    _zoom_in_until(page, pick, pick.locator(".base-label-place"), on=pick.locator("path[data-code='500154003001001']"))
    expect(pick.locator(".base-label-place", has_text="永先小学")).to_be_visible()
    assert pick.locator(".base-label-building").count() == 0
    assert pick.locator(".base-label", has_text="老王烟酒店").count() == 0


def test_gcj02_tiles_keep_points_in_wgs84(page, login, live_server, registry, tiles, settings):
    settings.YIWANG_TILE_CRS = "gcj02"
    login("worker_a")
    page.goto(f"{live_server.url}/cases/report/")
    pick = page.locator("#pick-map")
    expect(pick).to_have_attribute("data-ready", "1")
    expect(_tile_images(page, tiles.origin).first).to_be_visible()

    # The browser's GCJ-02 is the server's, both ways.
    wgs = (108.3051, 31.1049)
    gcj = coords.wgs84_to_gcj02(*wgs)
    browser_gcj = page.evaluate("([lon, lat]) => YiwangMap.gcj.toGcj(lon, lat)", list(wgs))
    assert browser_gcj == pytest.approx(gcj, abs=1e-9)
    assert page.evaluate("([lon, lat]) => YiwangMap.gcj.toWgs(lon, lat)", list(gcj)) == pytest.approx(coords.gcj02_to_wgs84(*gcj), abs=1e-9)
    # A WGS-84 point lands where the tiles put the server's GCJ-02 of it, and a pixel there reads
    # back as the WGS-84 point.
    placed = page.evaluate("""([lon, lat, glon, glat]) => {
        const crs = YiwangMap.gcj.crs(), mercator = L.Projection.SphericalMercator;
        const onTiles = mercator.project(L.latLng(glat, glon)), shown = crs.project(L.latLng(lat, lon));
        const back = crs.unproject(onTiles);
        return [onTiles.x - shown.x, onTiles.y - shown.y, back.lng, back.lat]; }""", [*wgs, *gcj])
    assert placed[:2] == pytest.approx([0, 0], abs=1e-6)
    assert placed[2:] == pytest.approx(wgs, abs=1e-9)

    # A point picked on the map is sent in WGS-84: type one, click on its marker, read it back.
    page.locator("details.coords summary").click()
    page.fill("input[name=lon]", f"{wgs[0]:.6f}")
    page.fill("input[name=lat]", f"{wgs[1]:.6f}")
    page.locator("input[name=lat]").dispatch_event("change")
    marker = pick.locator("path[stroke='#b3261e']")
    expect(marker).to_have_count(1)
    box = marker.bounding_box()
    marker_x, marker_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # On the tiles the marker sits where the server's GCJ-02 of the point is, not at its WGS-84.
    tile = _tile_images(page, tiles.origin).and_(page.locator(".leaflet-tile-loaded"))
    expect(tile.first).to_be_visible()
    on_tile = _screen_position(tile, gcj)
    assert on_tile is not None
    assert abs(on_tile[0] - marker_x) < 2 and abs(on_tile[1] - marker_y) < 2
    unshifted = _screen_position(tile, wgs)
    assert unshifted is None or abs(unshifted[0] - marker_x) + abs(unshifted[1] - marker_y) > 20
    page.mouse.click(marker_x, marker_y)
    expect(pick).to_have_attribute("data-grid", "500154003001001")
    picked = (float(pick.get_attribute("data-lon")), float(pick.get_attribute("data-lat")))
    assert picked == pytest.approx(wgs, abs=5e-5)  # within a pixel or two


def _geographic_screen_position(tiles, lon_lat):
    """Where (lon, lat) is on screen on longitude/latitude tiles whose level `z` has 2^z columns and
    2^(z-1) rows (天地图 *_c), or None if no tile shown holds it."""
    lon, lat = lon_lat
    for index in range(tiles.count()):
        tile = tiles.nth(index)
        z, x, y = map(int, TILE_PATH.match("/" + tile.get_attribute("src").split("/", 3)[3]).groups())
        degrees_per_tile = 360 / 2**z
        box = tile.bounding_box()
        across = ((lon + 180) / degrees_per_tile - x) * box["width"]
        down = ((90 - lat) / degrees_per_tile - y) * box["height"]
        if 0 <= across < box["width"] and 0 <= down < box["height"]:
            return box["x"] + across, box["y"] + down
    return None


def test_geographic_tiles_line_up_with_our_shapes(page, login, live_server, registry, tiles, settings):
    """天地图's *_c layers: tiles cut by longitude and latitude, their level 1 two tiles wide."""
    settings.YIWANG_TILE_GRID = "geographic"
    settings.YIWANG_TILE_ZOOM_OFFSET = 1
    login("worker_a")
    page.goto(f"{live_server.url}/cases/report/")
    pick = page.locator("#pick-map")
    expect(pick).to_have_attribute("data-ready", "1")
    tile = _tile_images(page, tiles.origin).and_(page.locator(".leaflet-tile-loaded"))
    expect(tile.first).to_be_visible()
    # Every tile asked is one of the geographic grid's near the street: x counts 2^z columns from
    # 180° W, y counts rows of the same size in degrees from 90° N.
    for path in tiles.asked:
        z, x, y = map(int, TILE_PATH.match(path).groups())
        size = 360 / 2**z
        assert -180 + x * size < 108.45 and -180 + (x + 1) * size > 108.25, path
        assert 90 - (y + 1) * size < 31.25 and 90 - y * size > 31.05, path

    # A point typed in lands on the tiles where its longitude and latitude are.
    point = (108.3051, 31.1049)
    page.locator("details.coords summary").click()
    page.fill("input[name=lon]", f"{point[0]:.6f}")
    page.fill("input[name=lat]", f"{point[1]:.6f}")
    page.locator("input[name=lat]").dispatch_event("change")
    marker = pick.locator("path[stroke='#b3261e']")
    expect(marker).to_have_count(1)
    box = marker.bounding_box()
    marker_x, marker_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    on_tile = _geographic_screen_position(tile, point)
    assert on_tile is not None
    assert abs(on_tile[0] - marker_x) < 2 and abs(on_tile[1] - marker_y) < 2
