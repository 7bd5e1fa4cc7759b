"""Shared fixtures: a small region tree with two neighbouring grids and a user for each role."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pytest

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def square(lon: float, lat: float, size: float) -> str:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def rect(lon0: float, lat0: float, lon1: float, lat1: float) -> str:
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


@dataclass
class Tree:
    district: object
    street: object
    community: object
    grid_a: object
    grid_b: object
    micro_a1: object
    micro_a2: object
    micro_b1: object
    other_street: object


@pytest.fixture
def tree(db) -> Tree:
    """开州区 → 云枫街道 → 永先社区 → grids 001 (west) and 002 (east), side by side."""
    from yiwang.regions.models import Level, Region

    district = Region.objects.create(level=Level.DISTRICT, code="500154", name="开州区", boundary=rect(108.30, 31.10, 108.50, 31.30))
    street = Region.objects.create(parent=district, level=Level.STREET, code="500154003000", name="云枫街道", boundary=rect(108.30, 31.10, 108.40, 31.20))
    other = Region.objects.create(parent=district, level=Level.STREET, code="500154001000", name="汉丰街道", boundary=rect(108.40, 31.10, 108.50, 31.20))
    community = Region.objects.create(parent=street, level=Level.COMMUNITY, code="500154003001", name="永先社区", boundary=rect(108.30, 31.10, 108.32, 31.11))
    grid_a = Region.objects.create(parent=community, level=Level.GRID, grid_kind="regular", code="500154003001001", name="永先社区第1网格",
                                   boundary=rect(108.30, 31.10, 108.31, 31.11), target_households=400)
    grid_b = Region.objects.create(parent=community, level=Level.GRID, grid_kind="regular", code="500154003001002", name="永先社区第2网格",
                                   boundary=rect(108.31, 31.10, 108.32, 31.11), target_households=400)
    micro_a1 = Region.objects.create(parent=grid_a, level=Level.MICRO_GRID, code="50015400300100101", name="第1微网格", boundary=rect(108.30, 31.10, 108.305, 31.11))
    micro_a2 = Region.objects.create(parent=grid_a, level=Level.MICRO_GRID, code="50015400300100102", name="第2微网格", boundary=rect(108.305, 31.10, 108.31, 31.11))
    micro_b1 = Region.objects.create(parent=grid_b, level=Level.MICRO_GRID, code="50015400300100201", name="第1微网格", boundary=rect(108.31, 31.10, 108.32, 31.11))
    return Tree(district, street, community, grid_a, grid_b, micro_a1, micro_a2, micro_b1, other)


@pytest.fixture
def make_user(db):
    from yiwang.accounts.models import User

    def make(username: str, role: str, scope=None, password: str = "Yiwang-test-2026", **extra):
        return User.objects.create_user(username=username, password=password, role=role, scope_region=scope, **extra)

    return make


@pytest.fixture
def users(tree, make_user) -> dict:
    return {
        "district": make_user("district", "district", tree.district),
        "street": make_user("street", "street", tree.street),
        "community": make_user("community", "community", tree.community),
        "worker_a": make_user("worker_a", "grid_worker", tree.grid_a),
        "worker_b": make_user("worker_b", "grid_worker", tree.grid_b),
        "department": make_user("department", "department", tree.district, unit="城管执法局"),
        "resident": make_user("resident", "resident", None),
    }


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    # BoundaryVersion rolls back with each test but PostgreSQL's ids do not, so a process-wide index
    # kept from an earlier test could name grids that no longer exist.
    from yiwang.accounts.services import forget_tokens
    from yiwang.core.stamped import invalidate_all
    from yiwang.regions import lookup

    lookup.invalidate()
    invalidate_all()
    forget_tokens()
    yield
    lookup.invalidate()
    invalidate_all()
    forget_tokens()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path_factory):
    # Case photos written by tests stay out of var/media.
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"


@pytest.fixture(autouse=True)
def _chinese_after_each_test():
    # ChosenLanguageMiddleware activates each request's language in the serving thread, which for the
    # test client is the test's own: a test that picks English would leave it on for the next ones.
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _second_factor_off_unless_asked(request, settings):
    # Tests log in by force_login or through the form as district and street users; a second factor
    # is required for those roles by default, which tests marked `two_factor` check (tests/accounts).
    if request.node.get_closest_marker("two_factor") is None:
        settings.YIWANG_2FA_ROLES = ()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    """YIWANG_TEST_SHARD=i/n keeps the i-th (1-based) of every n tests, so that n runs side by side
    share the suite (`make test` splits the PostgreSQL run in two). A file whose tests share a
    module fixture (the demo district, built once) stays whole, in one shard."""
    shard = os.environ.get("YIWANG_TEST_SHARD")
    if not shard:
        return
    number, _, count = shard.partition("/")
    if not (number.isdigit() and count.isdigit() and 1 <= int(number) <= int(count)):
        raise pytest.UsageError(f"YIWANG_TEST_SHARD={shard!r}: write it as i/n with 1 <= i <= n, e.g. 1/2")

    def unit(item) -> str:
        definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", None)
        if definitions is None:
            return str(item.path)  # cannot tell its fixtures: keep the file together
        # Plugins' own wider fixtures (empty baseid) hold nothing a test file built.
        shared = any(d.scope in ("package", "module", "class") and d.baseid for defs in definitions.values() for d in defs)
        return str(item.path) if shared else item.nodeid

    unit_of = [unit(item) for item in items]
    mine = set(list(dict.fromkeys(unit_of))[int(number) - 1::int(count)])
    config.hook.pytest_deselected(items=[item for item, u in zip(items, unit_of) if u not in mine])
    items[:] = [item for item, u in zip(items, unit_of) if u in mine]


def pytest_sessionfinish(session, exitstatus):
    # Django removes the SQLite test database but not its WAL side files, nor the writers' lock file.
    from django.conf import settings

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and name:
        for suffix in ("-wal", "-shm", ".writers"):
            try:
                os.remove(f"{name}{suffix}")
            except FileNotFoundError:
                pass
