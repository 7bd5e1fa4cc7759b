"""The header search box in Chromium: community staff type the phone of someone who called, press
Enter, and see the case that person reported and the resident, masked, on one results page; then
a name, and the link from the resident to the residents list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.factories import valid_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective));
"""


@pytest.fixture(autouse=True)
def _catalogue():
    # The seeded matter catalogue, which factories.case needs (see tests/browser/test_cases_browser.py).
    from yiwang.matters import catalogue

    catalogue.ensure()


def test_header_box_finds_a_case_and_a_resident(page, login, live_server, users, tree):
    from yiwang.cases.models import Case
    from yiwang.registry.models import Person

    case = factories.case(tree.grid_a)
    case.set_phone("13912345678")
    Case.objects.filter(pk=case.pk).update(address="永先路12号", phone_sealed=case.phone_sealed, phone_digest=case.phone_digest)
    person = Person(region=tree.micro_a1, name="张秀英")
    person.set_id_number(valid_id_number("50015419600101002"))
    person.set_phone("13912345678")
    person.save()

    page.add_init_script(LISTEN)
    login("community")
    box = page.get_by_test_id("header-search")
    box.fill("139 1234 5678")
    box.press("Enter")
    page.wait_for_url(f"{live_server.url}/search/**")

    cases = page.get_by_test_id("group-cases")
    expect(cases.get_by_test_id("count-cases")).to_have_text("1")
    expect(cases.get_by_role("link", name=case.number)).to_be_visible()
    expect(cases.get_by_test_id("result-case")).to_contain_text("永先路12号")
    persons = page.get_by_test_id("group-persons")
    expect(persons.get_by_test_id("count-persons")).to_have_text("1")
    expect(persons.get_by_test_id("result-person")).to_contain_text("张秀英")
    expect(persons.get_by_test_id("result-person")).to_contain_text("139****5678")
    expect(page.get_by_test_id("search-key")).to_contain_text("已记入敏感信息查看记录")
    expect(page.locator("main")).not_to_contain_text("13912345678")

    # The results page keeps its own box; a name from there, and on to the residents list.
    page.get_by_test_id("search-input").fill("秀英")
    page.get_by_test_id("search-input").press("Enter")
    expect(page.get_by_test_id("count-persons")).to_have_text("1")
    page.get_by_test_id("group-persons").get_by_role("link", name="张秀英").click()
    page.wait_for_url(f"{live_server.url}/persons/**")
    expect(page.get_by_test_id("persons")).to_contain_text("张秀英")
    assert page.evaluate("window.__cspViolations") == []
