"""Every staff page of grid work and participation fits a phone: as a community worker and as the
street, at 375 px wide, each page opens without a server error and nothing runs off the side."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 375, "height": 800}
PAGES = ["/gridwork/", "/gridwork/care/", "/gridwork/plans/", "/gridwork/patrols/new/", "/gridwork/visits/new/", "/campaigns/",
         "/campaigns/new/", "/wishes/", "/wishes/new/", "/wishes/counts/", "/volunteers/", "/volunteers/tasks/new/", "/pointsbank/",
         "/deliberation/", "/deliberation/topics/new/", "/deliberation/meetings/", "/votes/", "/votes/new/", "/votes/grid-projects/",
         "/alliance/", "/assessment/", "/assessment/departments/", "/assessment/property/", "/assessment/honours/"]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("username", ["community", "street"])
def test_staff_pages_fit_a_phone(phone, live_server, tree, users, username):
    from yiwang.matters import catalogue

    catalogue.ensure()
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")
    problems = []
    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        # A page this role may not use answers 403, which must fit the phone too.
        if response.status >= 500 or response.status == 404 or width > PHONE["width"]:
            problems.append((path, response.status, width))
    assert problems == []
