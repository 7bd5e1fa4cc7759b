"""What a person sees on the map: drill down and the side panel, in Chromium."""

import pytest
from playwright.sync_api import expect  # waits without eval, which the pages' CSP refuses

from tests import factories

# The live server needs committed data; serialized_rollback restores what migrations seeded
# (component types, the boundary version row) for the tests that run after these.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def populated(tree, users):
    from yiwang.forces.models import Assignment
    from yiwang.registry.models import Household

    for _ in range(3):
        factories.person(tree.micro_a1)
    factories.person(tree.micro_a2)
    factories.persontag(tree.micro_a2)  # one more person, tagged
    factories.person(tree.micro_b1)
    Household.objects.create(region=tree.micro_a1, number="H-A1")
    chief = factories.forcemember(tree.community)
    chief.name = "王网格长"
    chief.save()
    Assignment.objects.create(member=chief, grid=tree.grid_a, role="grid_chief", starts_on="2026-01-01")
    return tree


def test_drill_down_from_street_to_micro_grid(page, login, live_server, populated, make_user):
    make_user("street_user", "street", populated.street)
    login("street_user")
    map_el = page.locator("#map")
    expect(page.locator("#map")).to_have_attribute("data-current", "500154003000")
    # The street's only community is drawn, with the street's figures in the panel.
    assert page.locator("[data-testid=panel-title]").inner_text() == "云枫街道"
    assert page.locator("[data-figure=persons]").inner_text() == "6"
    assert map_el.get_attribute("data-count") == "1"

    page.locator("path[data-code='500154003001']").click()
    expect(page.locator("#map")).to_have_attribute("data-current", "500154003001")
    assert map_el.get_attribute("data-count") == "2"
    assert page.locator("[data-testid=crumbs]").inner_text().replace(" ", "") == "云枫街道›永先社区"
    grid_a = page.locator("path[data-code='500154003001001']")
    assert grid_a.get_attribute("data-value") == "1"  # coloured by households first: one in grid A
    page.select_option("[data-testid=figure]", "persons")
    expect(page.locator("path[data-code='500154003001001']")).to_have_attribute("data-value", "5")
    assert page.locator("path[data-code='500154003001002']").get_attribute("data-value") == "1"

    # Colour by key persons: the values follow the chosen figure.
    page.select_option("[data-testid=figure]", "key_persons")
    expect(page.locator("path[data-code='500154003001001']")).to_have_attribute("data-value", "1")
    assert "重点人群" in page.locator("[data-testid=legend]").inner_text()

    grid_a.click()
    expect(page.locator("#map")).to_have_attribute("data-current", "500154003001001")
    page.wait_for_selector("[data-testid=panel-title]:text('永先社区第1网格')")
    assert "王网格长" in page.locator("[data-testid=on-duty]").inner_text()
    assert page.locator("[data-figure=households]").inner_text() == "1"

    # A micro-grid is a leaf: clicking it shows its panel without leaving the grid.
    page.locator("path[data-code='50015400300100101']").click()
    page.wait_for_selector("[data-testid=panel-title]:text('第1微网格')")
    assert page.locator("[data-figure=persons]").inner_text() == "3"

    # Back up through the breadcrumb.
    page.locator("[data-testid=crumbs] a", has_text="云枫街道").click()
    expect(page.locator("#map")).to_have_attribute("data-current", "500154003000")
    page.wait_for_selector("[data-testid=panel-title]:text('云枫街道')")


def test_grid_worker_map_starts_at_own_grid_and_cannot_open_neighbour(page, login, live_server, populated):
    login("worker_a")
    expect(page.locator("#map")).to_have_attribute("data-current", "500154003001001")
    assert page.locator("[data-testid=panel-title]").inner_text() == "永先社区第1网格"
    assert page.locator("path[data-code='500154003001002']").count() == 0
    # The crumbs show only what is in scope.
    assert page.locator("[data-testid=crumbs]").inner_text().strip() == "永先社区第1网格"
    response = page.goto(f"{live_server.url}/map/500154003001002/")
    assert response.status == 404
