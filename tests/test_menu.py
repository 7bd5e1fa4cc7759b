"""The site's one menu (yiwang/web/menu.py): every link it shows a role opens for that role, the
header and the phone's tab bar are drawn from it, and the app manifest makes the site installable."""

import re

import pytest
from django.test import Client

from yiwang.web.menu import menu_for

pytestmark = pytest.mark.django_db

ROLES = ["district", "street", "community", "worker_a", "department", "resident"]


@pytest.fixture
def everyone(users, make_user, tree):
    from yiwang.matters import catalogue

    catalogue.ensure()
    admin = make_user("root", "district", None, is_superuser=True, is_staff=True)
    return {**users, "root": admin}


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who", [*ROLES, "root", "visitor"])
def test_every_menu_link_opens_for_its_role(everyone, who):
    from django.contrib.auth.models import AnonymousUser

    user = everyone.get(who)
    menu = menu_for(user or AnonymousUser())
    client = _client(user)
    refused = []
    for link in menu.links:
        status = client.get(link.url).status_code
        if status in (403, 404, 405) or status >= 500:
            refused.append((link.key, link.url, status))
    assert refused == []
    assert menu.links, "every visitor has somewhere to go"


def test_the_grid_workers_menu(everyone):
    menu = menu_for(everyone["worker_a"])
    assert [link.key for link in menu.tabs] == ["inbox", "case-report", "patrol", "visit", "account"]
    assert [link.label for link in menu.tabs] == ["待办", "上报", "巡查", "走访", "我的"]
    keys = {link.key for link in menu.links}
    # The command center's screens and the local administration answer 403 for a grid worker.
    assert not keys & {"command", "analysis", "reviews", "supervision", "forces", "imports", "people", "audit", "admin"}
    assert {link.key for link in menu.more} == keys - {link.key for link in menu.tabs}


def test_the_residents_menu(everyone):
    menu = menu_for(everyone["resident"])
    assert [link.label for link in menu.tabs] == ["随手拍", "我的上报", "微心愿", "社区活动", "我的"]
    assert not any(link.key in {"inbox", "cases", "map", "persons"} for link in menu.links)


@pytest.mark.parametrize("who", ["worker_a", "community", "resident"])
def test_header_and_tab_bar_are_drawn_from_the_menu(everyone, who):
    user = everyone[who]
    menu = menu_for(user)
    html = _client(user).get("/cases/inbox/" if who != "resident" else "/wishes/public/").content.decode()
    header = html.split('<nav class="menu"', 1)[1].split("</nav>", 1)[0]
    tabbar = html.split('<nav class="tabbar"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'href="([^"]+)"', header) == [link.url for link in menu.links if link.key != "account"]
    assert re.findall(r'<a href="([^"]+)" data-tab', tabbar) == [link.url for link in menu.tabs + menu.more]
    assert tabbar.count("<summary") == 1  # 更多


def test_the_web_manifest(client):
    html = client.get("/login/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "一网" and manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
