"""Open311 GeoReport v2: every endpoint in JSON (checked against the published JSON Schemas) and XML
(checked element by element), the spec's errors, and a third-party client against a live server."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from lxml import etree

from tests.cases.conftest import POINT_A
from tests.open311.georeport_schemas import SCHEMAS
from yiwang.cases import services
from yiwang.cases.models import Case, Channel, Status
from yiwang.open311.models import ApiKey

BASE = "/open311/v2"
ISO_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
LON, LAT = POINT_A


def conforms(data, schema: str) -> None:
    """Validate against the GeoReport v2 schema of that name (tests/open311/georeport_schemas.py)."""
    from jsonschema import Draft7Validator

    Draft7Validator(SCHEMAS[schema], format_checker=Draft7Validator.FORMAT_CHECKER).validate(data)


def xml(response, root: str):
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    document = etree.fromstring(response.content)
    assert document.tag == root
    return document


def error_of(response, fmt="json") -> str:
    """The spec's error list: exactly one {code, description}, the code being the HTTP status."""
    if fmt == "json":
        body = response.json()
        assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"code", "description"}
        assert body[0]["code"] == response.status_code
        return body[0]["description"]
    document = xml(response, "errors")
    (error,) = document.findall("error")
    assert [child.tag for child in error] == ["code", "description"] and error.findtext("code") == str(response.status_code)
    return error.findtext("description")


@pytest.fixture
def api_key(db) -> str:
    return ApiKey.issue("测试客户端")[1]


@pytest.fixture
def post(client, api_key, tree):
    """POST requests.{fmt} with a valid key and a point in grid A unless the test says otherwise."""

    def send(fmt="json", **fields):
        data = {"api_key": api_key, "service_code": "community-S0001", "lat": str(LAT), "long": str(LON), "description": "楼道堆放杂物"}
        data.update(fields)
        return client.post(f"{BASE}/requests.{fmt}", {k: v for k, v in data.items() if v is not None})

    return send


# Discovery and services ----------------------------------------------------------------------------

def test_discovery_in_both_formats(client, db):
    body = client.get(f"{BASE}/discovery.json").json()
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/" and set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert ISO_WITH_ZONE.match(body["changeset"])
    document = xml(client.get(f"{BASE}/discovery.xml"), "discovery")
    assert [child.tag for child in document] == ["changeset", "contact", "key_service", "endpoints"]
    assert document.findtext("endpoints/endpoint/url") == endpoint["url"]
    assert [f.text for f in document.findall("endpoints/endpoint/formats/format")] == endpoint["formats"]


def test_services_list_only_active_public_matters(client, db):
    response = client.get(f"{BASE}/services.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services_ = response.json()
    conforms(services_, "services")
    by_code = {s["service_code"]: s for s in services_}
    assert by_code["community-S0001"] == {"service_code": "community-S0001", "service_name": "邻里纠纷", "description": None,
                                          "metadata": True, "type": "realtime", "keywords": None, "group": "矛盾纠纷"}
    assert by_code["event-06010"]["metadata"] is False
    assert "community-S0005" not in by_code  # smoke alarms come from devices, not from the public

    document = xml(client.get(f"{BASE}/services.xml"), "services")
    items = document.findall("service")
    assert len(items) == len(services_)
    first = items[0]
    assert [child.tag for child in first] == ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
    assert first.findtext("service_code") == services_[0]["service_code"] and first.findtext("metadata") in {"true", "false"}


def test_service_definition_with_value_lists(client, db):
    definition = client.get(f"{BASE}/services/community-S0004.json").json()
    conforms(definition, "service-definition")
    (question,) = definition["attributes"]
    assert question == {"variable": True, "code": "location_kind", "datatype": "singlevaluelist", "required": True,
                        "datatype_description": None, "order": 1, "description": "充电位置",
                        "values": [{"key": "corridor", "name": "楼道"}, {"key": "home", "name": "入户"}, {"key": "shed", "name": "车棚"}]}
    document = xml(client.get(f"{BASE}/services/community-S0004.xml"), "service_definition")
    assert document.findtext("service_code") == "community-S0004"
    attribute = document.find("attributes/attribute")
    assert [child.tag for child in attribute] == ["variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"]
    assert attribute.findtext("variable") == "true" and attribute.findtext("order") == "1"
    assert [(v.findtext("key"), v.findtext("name")) for v in attribute.findall("values/value")][0] == ("corridor", "楼道")
    assert client.get(f"{BASE}/services/event-06010.json").json() == {"service_code": "event-06010", "attributes": []}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_or_private_service_code_is_404(client, db, fmt):
    for code in ("community-S9999", "community-S0005", "nonsense"):
        response = client.get(f"{BASE}/services/{code}.{fmt}")
        assert response.status_code == 404 and code in error_of(response, fmt)


def test_unknown_format_path_and_jurisdiction(client, tree):
    response = client.get(f"{BASE}/services.csv")
    assert response.status_code == 404 and "json or .xml" in error_of(response, "xml")
    response = client.get(f"{BASE}/nothing/here")
    assert response.status_code == 404 and error_of(response, "xml")
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "500154"}).status_code == 200
    response = client.get(f"{BASE}/services.json", {"jurisdiction_id": "110105"})
    assert response.status_code == 404 and "110105" in error_of(response)
    response = client.delete(f"{BASE}/services.json")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


def test_configured_jurisdiction_wins(client, tree, settings):
    settings.YIWANG_OPEN311_JURISDICTION = "kaizhou"
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "kaizhou"}).status_code == 200
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "500154"}).status_code == 404


# POST requests ------------------------------------------------------------------------------------

def test_post_creates_a_case_in_the_grid(post, tree):
    response = post(phone="13800000000", first_name="三", last_name="张", email="z@example.org", address_string="永先路1号",
                    **{"attribute[people_involved]": "3"})
    assert response.status_code == 200
    body = response.json()
    conforms([{k: v for k, v in item.items() if v is not None} for item in body], "request-response")
    (answer,) = body
    assert answer["account_id"] is None and "前办结" in answer["service_notice"]
    case = Case.objects.get(number=answer["service_request_id"])
    assert (case.channel, case.region, case.status, case.address) == (Channel.OPEN311, tree.grid_a, Status.REPORTED, "永先路1号")
    assert (case.lon, case.lat, case.attributes, case.reporter_name) == (LON, LAT, {"people_involved": 3.0}, "张三")
    assert case.phone_sealed and "13800000000" not in case.phone_sealed
    assert case.external_source == f"open311:{ApiKey.objects.get().pk}"


def test_post_in_xml_and_with_a_multivalue_list(post, db):
    from yiwang.matters.models import MatterType

    MatterType.objects.create(kind="community", code="T0001", name="多选测试", board="livelihood", default_tier="A", public=True, attributes=[
        {"code": "kinds", "datatype": "multivaluelist", "required": True, "description": "种类",
         "values": [{"key": "a", "name": "甲"}, {"key": "b", "name": "乙"}, {"key": "c", "name": "丙"}]}])
    response = post("xml", service_code="community-T0001", **{"attribute[kinds][]": ["a", "c"]})
    assert response.status_code == 200
    document = xml(response, "service_requests")
    (request,) = document.findall("request")
    assert [child.tag for child in request] == ["service_request_id", "service_notice", "account_id"]
    assert request.find("account_id").text is None
    assert Case.objects.get(number=request.findtext("service_request_id")).attributes == {"kinds": ["a", "c"]}
    response = post(service_code="community-T0001", **{"attribute[kinds][]": ["a", "z"]})
    assert response.status_code == 400 and "attribute[kinds]" in error_of(response)


def test_post_by_grid_code_and_refusals_of_addresses(post, tree):
    response = post(lat=None, long=None, address_id=tree.micro_a2.code)
    assert response.status_code == 200
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert (case.region, case.micro_grid, case.lat) == (tree.grid_a, tree.micro_a2, None)
    response = post(lat=None, long=None, address_string="永先路1号")
    assert response.status_code == 400 and "cannot geocode" in error_of(response)
    response = post(lat=None, long=None, address_id=tree.community.code)
    assert response.status_code == 400 and error_of(response).startswith("address_id:")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_without_a_valid_key_is_403(post, fmt):
    for key in (None, "", "o311_not-a-key"):
        response = post(fmt, api_key=key)
        assert response.status_code == 403 and "api_key" in error_of(response, fmt)
    revoked, raw = ApiKey.issue("old")
    ApiKey.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    assert post(fmt, api_key=raw).status_code == 403
    assert not Case.objects.exists()


@pytest.mark.parametrize(("fields", "status", "named"), [
    ({"service_code": "community-S9999"}, 404, "service_code"),
    ({"service_code": "community-S0005"}, 404, "service_code"),  # not public
    ({"service_code": None}, 400, "service_code"),
    ({"lat": None, "long": None}, 400, "lat, long"),
    ({"long": None}, 400, "lat, long"),
    ({"lat": "north"}, 400, "lat, long"),
    ({"lat": "20.0", "long": "100.0"}, 400, "不在任何网格内"),
    ({"lat": "95", "long": str(LON)}, 400, "long:"),
    ({"attribute[bogus]": "1"}, 400, "attribute:"),
    ({"attribute[people_involved]": "many"}, 400, "attribute[people_involved]"),
    ({"attribute[people_involved]": "-Infinity"}, 400, "attribute[people_involved]"),
    ({"attribute[people_involved]": "NaN"}, 400, "attribute[people_involved]"),
    ({"attribute[people_involved]": "1e999"}, 400, "attribute[people_involved]"),
    ({"service_code": "community-S0004"}, 400, "attribute[location_kind]"),  # required answer missing
    ({"service_code": "community-S0004", "attribute[location_kind]": "roof"}, 400, "attribute[location_kind]"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"description": "长" * 4001}, 400, "description"),
    ({"phone": "1" * 40}, 400, "phone"),
    ({"jurisdiction_id": "110105"}, 404, "jurisdiction_id"),
])
def test_post_refusals_name_the_parameter_and_write_nothing(post, fields, status, named):
    response = post(**fields)
    assert response.status_code == status
    assert named in error_of(response)
    assert not Case.objects.exists()


def test_post_media_upload_and_url(post, png, settings, tmp_path, client, users):
    from yiwang.cases import moderation

    settings.MEDIA_ROOT = tmp_path
    number = post(media=png(), media_url="https://img.example.org/1.jpg", public="true", service_code="community-S0010").json()[0]["service_request_id"]
    case = Case.objects.get(number=number)
    moderation.release(case.publication, acting_user=users["community"], text="楼道堆放杂物")  # the case public, its photo not
    assert case.description.endswith("图片：https://img.example.org/1.jpg") and case.photos.count() == 1
    (shown,) = client.get(f"{BASE}/requests/{number}.json").json()
    assert shown["media_url"] is None  # photos are personal data, served only within a scope
    response = post(media=SimpleUploadedFile("x.png", b"not an image", content_type="image/png"))
    assert response.status_code == 400 and error_of(response).startswith("media:")


def test_posts_per_key_and_hour_are_capped(post, settings):
    settings.YIWANG_OPEN311_REPORTS_PER_HOUR = 1
    assert post().status_code == 200
    response = post()
    assert response.status_code == 429 and "api_key" in error_of(response)


# GET requests -------------------------------------------------------------------------------------

@pytest.fixture
def cases(tree, users, report, post):
    """An Open311 case its reporter chose to publish, released by a moderator; a grid worker's case
    later rejected (closed) with a published staff version; an old one published likewise; a
    private-matter case and a desk case (a resident's own, never published)."""
    from yiwang.cases import moderation

    posted = Case.objects.get(number=post(phone="13900000000", first_name="李四", public="true", service_code="event-06036").json()[0]["service_request_id"])
    moderation.release(posted.publication, acting_user=users["community"], text=posted.description)
    rejected = report("06010", channel=Channel.GRID_WORKER, user=users["worker_a"]).case
    services.perform(rejected, "urge", acting_user=users["community"], note="内部催办:先核实", public=False)
    services.do_reject_case(rejected, acting_user=users["community"], reason="已由物业清理")
    moderation.publish_staff_version(rejected, acting_user=users["community"], text="暴露垃圾")
    services.perform(posted, "urge", acting_user=users["community"], note="仅内部可见", public=False)
    old = report("06013", reported_at=timezone.now() - timedelta(days=200), channel=Channel.GRID_WORKER, user=users["worker_a"]).case
    moderation.publish_staff_version(old, acting_user=users["community"], text="道路破损")
    private = report("S0005", channel=Channel.GRID_WORKER, user=users["worker_a"]).case
    desk = report("S0001").case
    return {"posted": posted, "rejected": rejected, "old": old, "private": private, "desk": desk}


def test_get_requests_json(client, cases):
    response = client.get(f"{BASE}/requests.json")
    body = response.json()
    conforms(body, "requests")
    assert [r["service_request_id"] for r in body] == [cases["rejected"].number, cases["posted"].number]
    rejected, posted = body
    assert rejected["status"] == "closed" and rejected["status_notes"] == "已由物业清理"
    assert posted["status"] == "open" and posted["status_notes"] is None
    assert posted["service_code"] == "event-06036" and posted["service_name"] == "堆物堆料"  # disputes are never public
    assert posted["agency_responsible"] == "永先社区第1网格" and posted["address_id"] == "500154003001001"
    assert (posted["lat"], posted["long"], posted["zipcode"], posted["media_url"]) == (LAT, LON, None, None)
    for moment in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert ISO_WITH_ZONE.match(posted[moment]), posted[moment]
    assert datetime.fromisoformat(posted["expected_datetime"]) > datetime.fromisoformat(posted["requested_datetime"])
    text = response.content.decode()
    for secret in ("李四", "13900000000", "内部", "仅内部可见"):
        assert secret not in text


def test_get_requests_xml(client, cases):
    document = xml(client.get(f"{BASE}/requests.xml"), "service_requests")
    requests_ = document.findall("request")
    assert len(requests_) == 2
    assert [child.tag for child in requests_[0]] == [
        "service_request_id", "status", "status_notes", "service_name", "service_code", "description", "agency_responsible",
        "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
        "lat", "long", "media_url"]
    assert requests_[0].findtext("status") == "closed" and requests_[1].findtext("long") == str(LON)


def test_get_requests_filters(client, cases):
    def numbers(**params):
        response = client.get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return {r["service_request_id"] for r in response.json()}

    posted, rejected, old = cases["posted"].number, cases["rejected"].number, cases["old"].number
    assert numbers(status="open") == {posted} and numbers(status="closed") == {rejected}
    assert numbers(status="open,closed") == {posted, rejected}
    assert numbers(service_code="event-06010,event-06013") == {rejected}
    # service_request_id overrides every other filter, even the date window; private matters stay hidden.
    assert numbers(service_request_id=f"{old},{posted},{cases['private'].number}", status="closed") == {old, posted}
    day = timezone.localtime(cases["old"].reported_at)
    assert numbers(start_date=(day - timedelta(days=1)).isoformat(), end_date=(day + timedelta(days=1)).isoformat()) == {old}
    assert numbers(start_date=(day - timedelta(days=1)).isoformat()) == {old}  # end defaults to start + 90 days
    # A "+08:00" that arrived unescaped (as a space) is still understood.
    assert numbers(start_date=f"{(day - timedelta(days=1)):%Y-%m-%dT%H:%M:%S} 08:00") == {old}
    assert numbers(page_size="1") == {rejected} and numbers(page_size="1", page="2") == {posted}
    assert numbers(page="3", page_size="1") == set()


@pytest.mark.parametrize(("params", "named"), [
    ({"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-04-02T00:00:00+08:00"}, "90 days"),
    ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date"),
    ({"start_date": "yesterday"}, "start_date"),
    ({"status": "pending"}, "status"),
    ({"page_size": "1001"}, "page_size"),
    ({"page": "zero"}, "page"),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_requests_refusals(client, db, params, named, fmt):
    response = client.get(f"{BASE}/requests.{fmt}", params)
    assert response.status_code == 400 and named in error_of(response, fmt)


def test_get_one_request(client, cases):
    number = cases["posted"].number
    body = client.get(f"{BASE}/requests/{number}.json").json()
    conforms(body, "requests")
    assert [r["service_request_id"] for r in body] == [number]
    document = xml(client.get(f"{BASE}/requests/{number}.xml"), "service_requests")
    assert [r.findtext("service_request_id") for r in document.findall("request")] == [number]
    for unknown in ("20990101000001", cases["private"].number):
        for fmt in ("json", "xml"):
            response = client.get(f"{BASE}/requests/{unknown}.{fmt}")
            assert response.status_code == 404 and unknown in error_of(response, fmt)


def test_tokens_resolve_to_the_request(client, cases):
    number = cases["posted"].number
    body = client.get(f"{BASE}/tokens/{number}.json").json()
    conforms(body, "token-response")
    assert body == [{"service_request_id": number, "token": number}]
    document = xml(client.get(f"{BASE}/tokens/{number}.xml"), "service_requests")
    assert [child.tag for child in document.find("request")] == ["service_request_id", "token"]
    # Only requests that came in through Open311 had a token.
    assert client.get(f"{BASE}/tokens/{cases['rejected'].number}.json").status_code == 404


def test_service_request_updates(client, cases):
    body = client.get(f"{BASE}/servicerequestupdates.json").json()
    assert [(u["service_request_id"], u["status"], u["description"]) for u in body] == [(cases["rejected"].number, "closed", "已由物业清理")]
    (update,) = body
    assert set(update) == {"update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"}
    assert ISO_WITH_ZONE.match(update["updated_datetime"])
    document = xml(client.get(f"{BASE}/servicerequestupdates.xml"), "service_requests_updates")
    (item,) = document.findall("request_update")
    assert [child.tag for child in item] == ["update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"]
    assert item.findtext("update_id") == update["update_id"]
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client.get(f"{BASE}/servicerequestupdates.json", {"start_date": future}).json() == []
    response = client.get(f"{BASE}/servicerequestupdates.json", {"start_date": "2025-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"})
    assert response.status_code == 400


def test_admin_issues_a_key_once(admin_client, db):
    response = admin_client.post("/admin/open311/apikey/add/", {"name": "第三方平台"}, follow=True)
    shown = re.search(r"o311_[\w-]+", response.content.decode())
    assert shown and ApiKey.find(shown.group()).name == "第三方平台"
    admin_client.post("/admin/open311/apikey/", {"action": "revoke", "_selected_action": [ApiKey.objects.get().pk]})
    assert ApiKey.find(shown.group()) is None


# A real client against a live server ---------------------------------------------------------------

@pytest.fixture
def _short_lived_connections():
    # As in tests/browser: the live server's threads must not keep connections open.
    from django.db import connections

    saved = connections.settings["default"]["CONN_MAX_AGE"]
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    yield
    connections.settings["default"]["CONN_MAX_AGE"] = saved


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_georeport_client_round_trip(live_server, tree, api_key, _short_lived_connections):
    """The PyPI `georeport` client reads; it has no method to post, so the POST goes through
    `requests`, the library the client itself uses."""
    import requests
    from georeport import GeoReport

    root = f"{live_server.url}{BASE}"
    client = GeoReport(root, jurisdiction="500154", api_key=api_key)
    codes = {s["service_code"] for s in client.get_service_list()}
    assert {"community-S0001", "community-S0004", "event-06010"} <= codes
    definition = client.get_service_definition("community-S0004")
    assert definition["attributes"][0]["code"] == "location_kind"

    posted = requests.post(f"{root}/requests.json", data={
        "api_key": client.api_key, "jurisdiction_id": client.jurisdiction, "service_code": "community-S0004",
        "lat": LAT, "long": LON, "description": "楼道里给电动车充电", "attribute[location_kind]": "corridor", "public": "true"}, timeout=10)
    assert posted.status_code == 200, posted.text
    number = posted.json()[0]["service_request_id"]
    # Public only once a moderator released it.
    assert client.get_service_requests(service_code="community-S0004", status="open") == []
    from django.contrib.auth import get_user_model

    from yiwang.cases import moderation

    moderator = get_user_model().objects.create_superuser("moderator", password="x")
    moderation.release(Case.objects.get(number=number).publication, acting_user=moderator, text="楼道里给电动车充电")

    listed = client.get_service_requests(service_code="community-S0004", status="open")
    assert [r["service_request_id"] for r in listed] == [number]
    assert client.get_service_request(number)["description"] == "楼道里给电动车充电"

    as_xml = GeoReport(root, jurisdiction="500154", output_format="xml")
    assert as_xml.get_service_definition("community-S0004")["attributes"]["attribute"]["code"] == "location_kind"
    assert as_xml.get_service_request(number)["status"] == "open"
    with pytest.raises(requests.HTTPError):
        GeoReport(root, jurisdiction="110105").get_service_list()
