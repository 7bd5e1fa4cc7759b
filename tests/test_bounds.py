"""Bounded input: every API list pages within MAX_PAGE_SIZE, numbers out of range are a 422 naming the
field (in the API's one error shape, in Chinese), option lists are typed, the OpenAPI names each schema
once, and the pages and Open311 take huge or malformed numbers and dates without a server error."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest

from yiwang.api.params import MAX_PAGE_SIZE, Page

HUGE = str(2**64)  # past every database integer


@pytest.fixture
def district(client, users):
    client.force_login(users["district"])
    return client


def _paginated_lists():
    """(path, operation) of every paginated GET without path parameters."""
    from yiwang.routers import api

    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                if "GET" in operation.methods and "{" not in path and any(
                        Page.Input in getattr(model, "__annotations__", {}).values() or "ninja_pagination" in model.model_fields
                        for model in operation.models):
                    yield "/api" + (prefix.rstrip("/") + "/" + path.lstrip("/")).replace("//", "/").rstrip("/")


PAGINATED = sorted(set(_paginated_lists()))


def test_every_list_is_paged_by_the_bounded_page():
    from yiwang.routers import api

    unbounded = []
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for model in operation.models:
                    field = model.model_fields.get("ninja_pagination")
                    if field is not None and field.annotation is not Page.Input:
                        unbounded.append(f"{prefix}{path}")
    assert not unbounded
    assert len(PAGINATED) >= 50


@pytest.mark.parametrize("path", PAGINATED)
def test_page_size_and_offset_are_bounded(district, path):
    for params, field in (({"limit": HUGE}, "limit"), ({"offset": HUGE}, "offset"), ({"limit": MAX_PAGE_SIZE + 1}, "limit"),
                          ({"limit": 0}, "limit"), ({"offset": -1}, "offset")):
        response = district.get(path, params)
        assert response.status_code == 422, (path, params, response.status_code)
        detail = response.json()["detail"]
        assert list(detail) == [field] and re.search(r"[\u4e00-\u9fff]", detail[field][0]), detail


def test_the_largest_page_is_served(district, tree):
    from tests import factories

    for _ in range(3):
        factories.person(tree.micro_a1)
    response = district.get("/api/registry/persons", {"limit": MAX_PAGE_SIZE, "offset": 1})
    assert response.status_code == 200 and response.json()["count"] == 3 and len(response.json()["items"]) == 2
    assert district.get("/api/registry/persons", {"offset": 2**31 - 1}).json()["items"] == []


def test_desks_page_by_hand_within_the_same_bounds(district):
    assert district.get("/api/ab/desks", {"limit": HUGE}).json() == {"detail": {"limit": ["不能大于 500"]}}
    assert district.get("/api/ab/desks", {"offset": HUGE}).status_code == 422
    assert district.get("/api/ab/desks", {"limit": MAX_PAGE_SIZE}).status_code == 200


def test_schema_errors_use_the_api_error_shape_in_chinese(district):
    assert district.get("/api/registry/persons", {"limit": "abc"}).json() == {"detail": {"limit": ["应为整数"]}}
    assert district.get("/api/cases/summons/yearly", {"year": "0"}).json() == {"detail": {"year": ["不能小于 1900"]}}
    response = district.post("/api/votes/ballots", {"region": "500154003001", "title": "x"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == {"opens_at": ["必填"], "closes_at": ["必填"]}


@pytest.mark.parametrize(("path", "params"), [
    ("/api/cases/summons/yearly", {"year": "0"}),
    ("/api/cases/summons/yearly", {"year": HUGE}),
    ("/api/points/monthly", {"year": "-5"}),
    ("/api/assessment/workers", {"year": "100000"}),
    ("/api/assessment/departments", {"year": "0"}),
    ("/api/assessment/property", {"year": HUGE}),
    ("/api/volunteers/registrations", {"year": "0"}),
    ("/api/volunteers/evaluations", {"year": HUGE}),
])
def test_years_out_of_range_are_refused(district, path, params):
    response = district.get(path, params)
    assert response.status_code == 422 and list(response.json()["detail"]) == ["year"]


def _ballot(**question):
    return {"region": "500154003001", "eligible_region": "500154003001", "title": "楼道灯改造", "opens_at": "2026-01-01T00:00:00+08:00",
            "closes_at": "2026-01-10T00:00:00+08:00", "questions": [{"text": "选哪个", **question}]}


@pytest.mark.parametrize(("question", "field"), [
    ({"options": [1, 2]}, "questions[0].options[0]"),
    ({"options": ["甲", {"label": "乙", "person_id": HUGE}]}, "questions[0].options[1].person_id"),
    ({"kind": "lottery", "options": ["甲", "乙"]}, "questions[0].kind"),
    ({"max_choices": -1, "options": ["甲", "乙"]}, "questions[0].max_choices"),
])
def test_ballot_options_are_typed(district, tree, question, field):
    response = district.post("/api/votes/ballots", _ballot(**question), content_type="application/json")
    assert response.status_code == 422, response.content
    assert field in response.json()["detail"], response.json()


def test_ballot_with_candidates_still_made(district, tree):
    response = district.post("/api/votes/ballots", _ballot(options=["甲", {"label": "乙"}]), content_type="application/json")
    assert response.status_code == 201, response.content
    assert [o["label"] for o in response.json()["questions"][0]["options"]] == ["甲", "乙"]


def test_honour_round_options_are_typed(district, tree):
    response = district.post("/api/assessment/rounds", {"kind": "lottery", "region_code": tree.street.code, "year": 2026, "places": 3},
                             content_type="application/json")
    assert response.status_code == 422 and list(response.json()["detail"]) == ["kind"]
    response = district.post("/api/assessment/rounds", {"kind": "grid_worker", "region_code": tree.street.code, "year": 0, "places": -1},
                             content_type="application/json")
    assert response.status_code == 422 and set(response.json()["detail"]) >= {"year", "places"}
    assert district.post("/api/assessment/rounds/1/nominations", {"how": "lottery"}, content_type="application/json").json() == {
        "detail": {"how": ["应为以下之一：'records', 'ballot' or 'manual'"]}}


# --- the OpenAPI names each schema once ---------------------------------------------------------------

def _schemas_by_name():
    """Every schema the routers' classes generate (top level and nested), by the name the OpenAPI gives it."""
    from ninja.openapi.schema import REF_TEMPLATE
    from ninja.schema import NinjaGenerateJsonSchema
    from pydantic import BaseModel

    from yiwang.routers import api

    found = defaultdict(dict)
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                models = list(operation.models)
                models += [m for m in (operation.response_models or {}).values() if isinstance(m, type) and issubclass(m, BaseModel)]
                for model in models:
                    for mode in ("validation", "serialization"):
                        schema = model.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode=mode)
                        for name, body in schema.pop("$defs", {}).items():
                            found[(name, mode)].setdefault(json.dumps(body, sort_keys=True, default=str), []).append(f"{prefix}{path}")
    return found


def test_no_two_schemas_share_a_name():
    clashes = {name: [where[0] for where in variants.values()] for name, variants in _schemas_by_name().items() if len(variants) > 1}
    assert not clashes


def _body_schema(openapi, path, method="post"):
    ref = openapi["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_openapi_documents_each_body_with_its_own_fields(client, db):
    openapi = client.get("/api/openapi.json").json()
    ab_leave = _body_schema(openapi, "/api/ab/leaves")
    assert set(ab_leave["properties"]) == {"username", "starts_at", "ends_at", "reason"}
    alliance_leave = _body_schema(openapi, "/api/alliance/members/{member_id}/leave")
    assert set(alliance_leave["properties"]) == {"left_on", "reason"}
    assert _body_schema(openapi, "/api/links/{link_id}/visits") != _body_schema(openapi, "/api/gridwork/visits")
    limit = next(p for p in openapi["paths"]["/api/registry/persons"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == MAX_PAGE_SIZE


# --- pages and Open311 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["year=99999999999999999999999", "year=0", "year=abc", "year=-1"])
def test_volunteers_page_takes_any_year(district, query):
    assert district.get(f"/volunteers/?{query}").status_code == 200


@pytest.mark.parametrize("query", ["page=99999999999999999999999", "page=abc", "matter=99999999999999999999999",
                                   "department=-99999999999999999999", "since=0001-01-01"])
def test_case_list_page_takes_any_number(district, query):
    assert district.get(f"/cases/?{query}").status_code in (200, 404)  # 404: the existing answer to a bad date


@pytest.mark.parametrize("week", ["0001-01-01", "9999-12-31", "soon"])
def test_timetable_takes_any_week(client, tree, week):
    from yiwang.activities.models import Venue

    venue = Venue.objects.create(region=tree.grid_a, name="活动室", kind="hall", capacity=10, public=True)
    assert client.get(f"/activities/venues/{venue.pk}/timetable/", {"week": week}).status_code == 200


def test_pages_read_huge_ids_as_none(district):
    assert district.get("/activities/new/", {"venue": HUGE}).status_code in (200, 403)


OPEN311 = "/open311/v2"


@pytest.mark.parametrize(("params", "named"), [
    ({"page": str(10**12)}, "page"),
    ({"page": HUGE, "page_size": "1"}, "page"),
    ({"start_date": "0001-01-01T00:00:00"}, "start_date"),
    ({"end_date": "9999-12-31T23:59:59+08:00"}, "end_date"),
    ({"service_request_id": ",".join(str(n) for n in range(101))}, "service_request_id"),
])
def test_open311_bounds(client, db, params, named):
    response = client.get(f"{OPEN311}/requests.json", params)
    assert response.status_code == 400 and named in json.dumps(response.json(), ensure_ascii=False)


def test_open311_updates_bounds(client, db):
    response = client.get(f"{OPEN311}/servicerequestupdates.json", {"start_date": "0001-01-01T00:00:00Z"})
    assert response.status_code == 400


@pytest.mark.parametrize(("lat", "long"), [("nan", "108.3"), ("31.1", "inf"), ("91", "108.3"), ("31.1", "-181")])
def test_open311_location_must_be_a_place_on_earth(client, db, lat, long):
    from yiwang.open311.views import location

    with pytest.raises(Exception) as refused:
        location({"lat": lat, "long": long})
    assert refused.value.status == 400 and "lat, long" in str(refused.value)


def test_page_number_helpers():
    from datetime import date

    from yiwang.core.params import date_param, int_param, year_param

    assert int_param("12") == 12 and int_param(" 7 ", 0) == 7
    assert int_param(HUGE) is None and int_param("9" * 5000, 3) == 3 and int_param("abc", 1) == 1 and int_param(None, 2) == 2
    assert year_param("0", 2026) == 2026 and year_param("2025", 2026) == 2025
    assert date_param("0001-01-01") is None and date_param("2026-02-30") is None and date_param("2026-02-03") == date(2026, 2, 3)


@pytest.mark.parametrize("path", ["/api/links/visits", "/api/cases", "/api/registry/persons"])
def test_a_nul_character_in_a_parameter_is_refused_naming_it(client, users, path):
    """PostgreSQL text cannot hold NUL: found by the fuzzer as a 500 on PostgreSQL only."""
    client.force_login(users["district"])
    response = client.get(path, {"region": "500\x00154"})
    assert response.status_code == 422 and response.json() == {"detail": {"region": ["不能包含空字符"]}}


def test_a_nul_character_in_a_body_or_page_form_is_refused(client, users):
    client.force_login(users["district"])
    response = client.post("/api/exports", '{"kind": "registry\\u0000", "params": {}}', content_type="application/json")
    assert response.status_code == 422 and response.json() == {"detail": {"body": ["不能包含空字符"]}}
    response = client.post("/search/", {"q": "张\x00三"})
    assert response.status_code == 400 and "q：不能包含空字符" in response.content.decode()
