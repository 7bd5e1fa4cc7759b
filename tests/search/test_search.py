"""The staff search box (/search/?q=): cases by number, address and reporter phone; residents by name,
ID number and phone, masked, scoped and logged; places and buildings by name; bad queries."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from tests import factories
from tests.factories import valid_id_number
from yiwang.core import crypto
from yiwang.core.models import SensitiveAccess
from yiwang.registry.models import Building, Person, PersonTag, Place

pytestmark = pytest.mark.django_db


def _case(region, *, address: str = "", phone: str = "", department=None):
    from yiwang.cases.models import Case

    case = factories.case(region)
    values = {"address": address}
    if phone:
        case.set_phone(phone)
        values.update(phone_sealed=case.phone_sealed, phone_digest=case.phone_digest)
    if department is not None:
        values["handling_department"] = department
    Case.objects.filter(pk=case.pk).update(**values)
    return Case.objects.get(pk=case.pk)


def _person(region, name: str, *, id_number: str, phone: str = "") -> Person:
    person = Person(region=region, name=name)
    person.set_id_number(id_number)
    if phone:
        person.set_phone(phone)
    person.save()
    return person


def _id_ending_in_x() -> str:
    for n in range(1000):
        number = valid_id_number(f"50015419850612{n:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no check char X in range")


def _search(client, q: str):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _count(page: str, kind: str) -> int | None:
    found = re.search(rf'data-testid="count-{kind}">(\d+)<', page)
    return int(found.group(1)) if found else None


def _results(page: str) -> str:
    """The result groups, without the query echoed in the header and the search form."""
    return page.split('data-testid="search-page"', 1)[1].split("</form>", 1)[1]


def _key_searches(user, field: str):
    return SensitiveAccess.objects.filter(user=user, target_type="search", field=field, channel="search")


# --- cases ----------------------------------------------------------------------------------------

def test_case_by_number_prefix_and_address(client, users, tree):
    case = _case(tree.grid_a, address="永先路12号菜市场门口")
    other = _case(tree.grid_a, address="汉丰路3号")
    client.force_login(users["community"])

    page = _search(client, case.number)
    assert _count(page, "cases") == 1
    assert f'href="/cases/{case.number}/"' in page and other.number not in page

    page = _search(client, case.number[:-1])  # a prefix, as the case list finds them
    assert f'href="/cases/{case.number}/"' in page

    page = _search(client, "菜市场")
    assert _count(page, "cases") == 1 and case.number in page and other.number not in page
    assert "永先路12号菜市场门口" in page
    # A search by words is not a search by a personal key: nothing in the sensitive log.
    assert not SensitiveAccess.objects.exists()


def test_case_by_reporter_phone_through_the_digest_and_logged(client, users, tree):
    case = _case(tree.grid_a, address="永先路8号", phone="13912345678")
    _case(tree.grid_a, address="永先路9号", phone="13912345679")
    client.force_login(users["community"])

    # As people type it: with spaces, or with +86.
    for typed in ("13912345678", "139 1234 5678", "+86 139-1234-5678"):
        page = _search(client, typed)
        assert _count(page, "cases") == 1, typed
        assert case.number in page and "反映人电话" in page
        assert "13912345678" not in _results(page)  # never shown in clear in the results
    searches = _key_searches(users["community"], "phone")
    assert searches.count() == 3
    assert set(searches.values_list("target_id", flat=True)) == {crypto.digest("13912345678")}
    assert SensitiveAccess.objects.filter(target_type="cases.case", target_id=str(case.pk), field="phone_search").count() == 3
    assert not SensitiveAccess.objects.filter(target_id__contains="13912345678").exists()


# --- residents ------------------------------------------------------------------------------------

def test_resident_by_name_prefix_first_masked(client, users, tree):
    inner = _person(tree.grid_a, "李张明", id_number=valid_id_number("50015419800101011"), phone="13800000011")
    first = _person(tree.micro_a1, "张明", id_number=valid_id_number("50015419800101021"), phone="13800000021")
    _person(tree.grid_a, "王五", id_number=valid_id_number("50015419800101031"))
    client.force_login(users["community"])

    page = _search(client, "张明")
    assert _count(page, "persons") == 2
    assert page.index(">张明</a>") < page.index(">李张明</a>")  # the name that starts with the words comes first
    assert "王五" not in page
    # Masked as the residents list masks them; the clear values appear nowhere.
    assert first.id_number_masked in page and first.phone_masked in page
    assert crypto.decrypt(inner.id_number_sealed) not in page and "13800000011" not in page
    assert "13800000021" not in page
    assert f'href="/persons/?q={"%E6%9D%8E%E5%BC%A0%E6%98%8E"}"' in page  # each links to the residents list
    assert not SensitiveAccess.objects.exists()


def test_resident_by_id_number_18_15_and_lowercase_x_logged(client, users, tree):
    with_x = _person(tree.grid_a, "赵一", id_number=_id_ending_in_x())
    # A first-generation number 500154 850612 123 is 500154 19850612 123 + check char today.
    old_style = _person(tree.grid_a, "钱二", id_number=valid_id_number("50015419850612123"))
    client.force_login(users["worker_a"])

    page = _search(client, crypto.decrypt(with_x.id_number_sealed).lower())
    assert _count(page, "persons") == 1 and "赵一" in page and "钱二" not in page
    assert with_x.id_number_masked in page

    page = _search(client, "500154850612123")
    assert _count(page, "persons") == 1 and "钱二" in page

    page = _search(client, "500154 19850612 123" + crypto.decrypt(old_style.id_number_sealed)[-1])
    assert _count(page, "persons") == 1 and "钱二" in page

    searches = _key_searches(users["worker_a"], "id_number")
    assert searches.count() == 3
    assert set(searches.values_list("target_id", flat=True)) == {
        crypto.digest(crypto.decrypt(with_x.id_number_sealed)), crypto.digest(crypto.decrypt(old_style.id_number_sealed))}
    assert SensitiveAccess.objects.filter(user=users["worker_a"], target_type="registry.person", target_id=str(old_style.pk),
                                          field="id_number_search").count() == 2
    # Who, when, what kind of key: never the key itself.
    for row in SensitiveAccess.objects.all():
        assert row.at is not None and "500154" not in row.target_id


def test_resident_by_id_number_with_a_wrong_check_char_finds_nobody_and_says_why(client, users, tree):
    number = valid_id_number("50015419800101041")
    _person(tree.grid_a, "孙三", id_number=number)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    client.force_login(users["community"])
    page = _search(client, wrong)
    assert _count(page, "persons") == 0 and "孙三" not in page
    assert 'data-testid="search-id-check"' in page
    assert _key_searches(users["community"], "id_number").count() == 1


def test_resident_by_phone_logged_per_person_found(client, users, tree):
    person = _person(tree.grid_a, "周四", id_number=valid_id_number("50015419800101051"), phone="13700001111")
    client.force_login(users["community"])
    page = _search(client, "137 0000 1111")
    assert _count(page, "persons") == 1 and "周四" in page and person.phone_masked in page
    assert _key_searches(users["community"], "phone").count() == 1
    logged = SensitiveAccess.objects.get(target_type="registry.person")
    assert (logged.user, logged.target_id, logged.field) == (users["community"], str(person.pk), "phone_search")
    # A number nobody has is still a search by phone, and logged as one.
    page = _search(client, "13700002222")
    assert _count(page, "persons") == 0 and 'data-testid="search-empty"' in page
    assert _key_searches(users["community"], "phone").count() == 2


def test_more_than_twenty_residents_link_to_the_residents_list(client, users, tree):
    for n in range(23):
        _person(tree.grid_a, f"吴{n:02d}", id_number=valid_id_number(f"50015419800101{n + 100:03d}"))
    client.force_login(users["community"])
    page = _search(client, "吴")  # one Chinese character is a real query (a surname)
    assert _count(page, "persons") == 23
    assert page.count('data-testid="result-person"') == 20
    assert 'href="/persons/?q=%E5%90%B4"' in page


# --- places and buildings -------------------------------------------------------------------------

def test_places_and_buildings_by_name(client, users, tree):
    Place.objects.create(region=tree.grid_a, name="永先农贸市场", kind="shop", address="永先路1号")
    Building.objects.create(region=tree.grid_a, code="B500001", name="永先小区3栋", address="永先路5号")
    Place.objects.create(region=tree.grid_b, name="汉丰超市", kind="shop")
    client.force_login(users["community"])
    page = _search(client, "永先")
    assert _count(page, "places") == 1 and "永先农贸市场" in page
    assert _count(page, "buildings") == 1 and "永先小区3栋" in page
    assert "汉丰超市" not in page
    # Community staff keep the registry in the admin: the names link there.
    assert "/admin/registry/place/" in page and "/admin/registry/building/" in page

    client.force_login(users["worker_a"])  # no admin: names without links
    page = _search(client, "永先")
    assert _count(page, "places") == 1 and "/admin/" not in page.split('data-testid="group-places"')[1]


# --- scope ----------------------------------------------------------------------------------------

def test_grid_worker_of_the_neighbouring_grid_finds_nothing(client, users, tree):
    case = _case(tree.micro_a1, address="永先路12号", phone="13912340000")
    person = _person(tree.micro_a1, "郑五", id_number=valid_id_number("50015419800101061"), phone="13912340000")
    Place.objects.create(region=tree.grid_a, name="郑记面馆", kind="shop")
    Building.objects.create(region=tree.grid_a, code="B500002", name="郑家院子", address="")
    id_number = crypto.decrypt(person.id_number_sealed)

    client.force_login(users["worker_b"])
    for q in (case.number, "永先路12号", "13912340000", "郑五", id_number, "郑记", "郑家"):
        page = _search(client, q)
        assert all(_count(page, kind) in (0, None) for kind in ("cases", "persons", "places", "buildings")), q
        assert 'data-testid="search-empty"' in page and "郑五</a>" not in page

    client.force_login(users["worker_a"])
    assert _count(_search(client, "郑五"), "persons") == 1
    assert _count(_search(client, "13912340000"), "cases") == 1
    assert _count(_search(client, "郑家"), "buildings") == 1


def test_department_follows_the_registry_need_to_know(client, users, tree):
    from yiwang.matters.models import Department

    department = Department.objects.create(code="CG01", name="城管执法局", kind="urban_management", region=tree.district)
    department.members.add(users["department"])
    reporter = _person(tree.grid_a, "冯六", id_number=valid_id_number("50015419800101071"), phone="13600001234")
    neighbour = _person(tree.grid_a, "冯七", id_number=valid_id_number("50015419800101081"), phone="13600005678")
    client.force_login(users["department"])

    # No case of its names them: in the district scope, yet nobody is found.
    assert _count(_search(client, "冯"), "persons") == 0
    assert _count(_search(client, crypto.decrypt(reporter.id_number_sealed)), "persons") == 0

    case = _case(tree.grid_a, address="永先路2号", phone="13600001234", department=department)
    _case(tree.grid_b, address="永先路4号")  # a case of no concern to the department
    page = _search(client, "冯")
    assert _count(page, "persons") == 1 and "冯六" in page and "冯七" not in page
    assert _count(_search(client, "13600005678"), "persons") == 0
    page = _search(client, "永先路")
    assert _count(page, "cases") == 1 and case.number in page
    assert neighbour.pk not in Person.objects.restrict(users["department"]).values_list("pk", flat=True)


def test_sensitive_groups_stay_hidden_without_the_permission(client, users, tree):
    from yiwang.matters.models import Department

    department = Department.objects.create(code="CG02", name="民政局", kind="civil_affairs", region=tree.district)
    department.members.add(users["department"])
    person = _person(tree.grid_a, "陈八", id_number=valid_id_number("50015419800101091"), phone="13600009999")
    PersonTag.objects.create(person=person, tag="TS03")  # 严重精神障碍患者
    _case(tree.grid_a, phone="13600009999", department=department)

    client.force_login(users["department"])  # the case names him, but the group is sensitive
    assert _count(_search(client, "陈八"), "persons") == 0
    client.force_login(users["worker_a"])  # grid workers look after them, and the look is logged
    assert _count(_search(client, "13600009999"), "persons") == 1
    assert SensitiveAccess.objects.filter(user=users["worker_a"], target_id=str(person.pk), field="sensitive_group").exists()


# --- bad queries and access -----------------------------------------------------------------------

@pytest.mark.parametrize("q", ["", "   ", "a", "7", "%"])
def test_empty_or_too_short_query_gives_a_hint(client, users, tree, q):
    _case(tree.grid_a, address="a7%")
    client.force_login(users["community"])
    page = _search(client, q)
    assert 'data-testid="search-hint"' in page and 'data-testid="group-' not in page
    assert ("请输入要查找的内容" if not q.strip() else "查询内容太短") in page


def test_long_query_is_cut_and_odd_characters_are_words(client, users, tree):
    case = _case(tree.grid_a, address="永先路100%_号")
    client.force_login(users["community"])
    page = _search(client, "永" * 300)
    assert 'data-testid="search-truncated"' in page and f'value="{"永" * 100}"' in page
    page = _search(client, "100%_")
    assert _count(page, "cases") == 1 and case.number in page
    assert _count(_search(client, "0%1"), "cases") == 0  # % is a character here, not a wildcard
    page = _search(client, "'\"<script>")
    assert 'data-testid="search-empty"' in page and "<script>" not in page.split("</header>")[1]
    # A NUL character is refused for the whole site before the search sees it (core/middleware.py).
    response = client.get("/search/", {"q": "\x00'\"<script>"})
    assert response.status_code == 400 and "q：不能包含空字符" in response.content.decode()


def test_anonymous_and_residents_have_no_access(client, users):
    response = client.get("/search/", {"q": "张"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(users["resident"])
    assert client.get("/search/", {"q": "张"}).status_code == 403


def test_the_box_is_in_the_staff_header_only(client, users):
    client.force_login(users["worker_a"])
    page = client.get("/cases/").content.decode()
    assert 'data-testid="header-search"' in page and 'action="/search/"' in page
    client.force_login(users["resident"])
    page = client.get("/", follow=True).content.decode()
    assert 'data-testid="who"' in page
    assert 'data-testid="header-search"' not in page


def test_reported_time_shows_in_the_results(client, users, tree):
    case = _case(tree.grid_a, address="永先路20号")
    client.force_login(users["community"])
    page = _search(client, "永先路20号")
    assert timezone.localtime(case.reported_at).strftime("%Y-%m-%d %H:%M") in page


def test_a_posted_query_never_reaches_the_url(client, users, tree):
    """The boxes post: an ID number or phone is kept in the session and the page is /search/?t=token."""
    client.force_login(users["community"])
    response = client.post("/search/", {"q": "13912345678"})
    assert response.status_code == 302 and "13912345678" not in response["Location"]
    assert response["Location"].startswith("/search/?t=")
    page = client.get(response["Location"]).content.decode()
    assert 'value="13912345678"' in page  # the query shown back in the box, not in the address
    assert client.get("/search/?t=unknown").status_code == 200  # an expired token is an empty search
