"""The resident's 随手拍 like FixMyStreet's: the place first, problems in the resident's words (no
tier), service applications kept apart (page and Open311 alike), a signed-in resident's phone
filled in, post/redirect/get with the one-time code shown once, and 我的上报 with only their own."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from yiwang.cases.models import Case, Channel, Status
from yiwang.cases.selectors import my_reports

from .conftest import POINT_A

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


def form(matters, png, **extra):
    data = {"lon": str(POINT_A[0]), "lat": str(POINT_A[1]), "address": "幸福路 8 号", "matter": str(matters("S0001").pk),
            "description": "楼道堆放杂物", "photos": [png()], "phone": PHONE}
    data.update(extra)
    return data


@pytest.fixture
def resident_with_person(users, tree):
    resident = users["resident"]
    person = factories.person(tree.micro_a1)
    person.set_phone("13687654321")
    person.save()
    resident.person = person
    resident.save()
    return resident


def test_the_place_comes_first_and_no_tier_or_code_is_shown(client, tree, matters):
    html = client.get(reverse("resident-report")).content.decode()
    order = [html.index(f'name="{name}"') for name in ("lon", "lat", "address", "matter", "description", "photos", "phone", "publish")]
    assert order == sorted(order), "fields in place order, so the page reads right without its script"
    assert html.index('data-testid="step-place"') < html.index('data-testid="step-problem"')
    assert "用我的位置" in html
    assert not re.search(r"[ABC]类", html), "internal tiers stay off the resident's page"
    assert ">邻里纠纷<" in html and "data-tier" not in html
    assert "S0001" not in html and "06010" not in html


def test_service_applications_are_not_offered_and_a_link_leads_to_the_one_stop_service(client, tree, matters):
    html = client.get(reverse("resident-report")).content.decode()
    assert "最低生活保障申请" not in html and "临时救助申请" not in html
    assert f'href="{reverse("service-guide")}"' in html and "办事申请请到 一站式服务" in html
    guide = client.get(reverse("service-guide")).content.decode()
    assert "最低生活保障申请" in guide and "社会救助" in guide and "邻里纠纷" not in guide


def test_a_service_application_posted_to_the_page_is_refused_in_words(client, tree, matters, png):
    response = client.post(reverse("resident-report"), form(matters, png, matter=str(matters("F0202").pk)))
    assert response.status_code == 400
    assert "“最低生活保障申请”是办事申请，不通过随手拍上报；请到一站式服务办理。" in response.content.decode()
    assert Case.objects.count() == 0


def test_the_intake_refuses_a_service_application_on_residents_doors_only(tree, matters, users):
    from django.core.exceptions import ValidationError

    from yiwang.cases.services import Report, report_case

    for channel in (Channel.RESIDENT, Channel.OPEN311):
        with pytest.raises(ValidationError) as refused:
            report_case(Report(channel=channel, matter=matters("F0202"), lon=POINT_A[0], lat=POINT_A[1], reporter_phone=PHONE))
        assert "办事申请" in refused.value.message_dict["matter"][0]
    # The hall's desk still registers an application in the same loop.
    intake = report_case(Report(channel=Channel.DESK, matter=matters("F0202"), lon=POINT_A[0], lat=POINT_A[1]), acting_user=users["community"])
    assert intake.case.matter.name == "最低生活保障申请"


def test_open311_lists_problems_only_and_refuses_an_application_in_chinese(client, tree, matters):
    from yiwang.open311.models import ApiKey

    codes = {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
    assert "community-S0001" in codes and not any(code.startswith("service-") for code in codes)
    key = ApiKey.issue("测试客户端")[1]
    response = client.post("/open311/v2/requests.json", {"api_key": key, "service_code": "service-F0202", "lat": str(POINT_A[1]),
                                                          "long": str(POINT_A[0]), "description": "申请低保"})
    assert response.status_code == 400
    assert "“最低生活保障申请”是办事申请" in response.json()[0]["description"]
    assert Case.objects.count() == 0


def test_a_signed_in_residents_phone_is_filled_in_and_stays_editable(client, matters, resident_with_person, png):
    client.force_login(resident_with_person)
    html = client.get(reverse("resident-report")).content.decode()
    assert re.search(r'name="phone"[^>]*value="13687654321"', html)
    assert "已按您登记的手机号填好，可以修改。" in html
    response = client.post(reverse("resident-report"), form(matters, png, phone="13911112222"))
    assert response.status_code == 303
    case = Case.objects.get()
    assert case.reported_by == resident_with_person and case.phone_digest and case.phone_masked.endswith("2222")


def test_a_visitor_gets_no_ones_phone(client, tree, matters):
    html = client.get(reverse("resident-report")).content.decode()
    assert not re.search(r'name="phone"[^>]*value=', html)


def test_post_redirect_get_shows_the_code_once(client, tree, matters, png):
    from yiwang.cases.services import hash_access_code

    response = client.post(reverse("resident-report"), form(matters, png))
    assert response.status_code == 303 and response["Location"] == reverse("resident-report-done")
    case = Case.objects.get()
    assert case.reported_by is None  # no account: nobody's 我的上报
    html = client.get(response["Location"]).content.decode()
    code = re.search(r'data-testid="access-code">([A-Z0-9]{8})<', html).group(1)
    assert hash_access_code(code) == case.access_code_hash and case.number in html
    assert reverse("track-case", args=[case.number]) in html
    again = client.get(reverse("resident-report-done")).content.decode()
    assert code not in again and case.number in again and "查询码已在提交后显示过一次" in again
    assert Case.objects.count() == 1
    # Another browser has nothing to show.
    assert Client().get(reverse("resident-report-done"))["Location"] == reverse("resident-report")


def test_my_reports_lists_only_the_residents_own_newest_first(client, tree, matters, png, resident_with_person, make_user):
    other = make_user("resident2", "resident", None)
    client.force_login(resident_with_person)
    client.post(reverse("resident-report"), form(matters, png, description="第一条"))
    client.post(reverse("resident-report"), form(matters, png, matter=str(matters("06010", "event").pk), description="第二条"),
                REMOTE_ADDR="10.0.0.2")
    mine = list(Case.objects.filter(reported_by=resident_with_person).order_by("reported_at", "pk"))
    assert len(mine) == 2
    stranger = Client()
    stranger.force_login(other)
    stranger.post(reverse("resident-report"), form(matters, png, description="别人的", phone="13900000009"), REMOTE_ADDR="10.0.0.3")
    anonymous = Client().post(reverse("resident-report"), form(matters, png, description="匿名的", phone="13900000008"), REMOTE_ADDR="10.0.0.4")
    assert anonymous.status_code == 303

    html = client.get(reverse("my-reports")).content.decode()
    numbers = re.findall(r'data-testid="my-report" data-number="(\d+)"', html)
    assert numbers == [mine[1].number, mine[0].number]
    assert "别人的" not in html and "匿名的" not in html
    assert "已收到，等待受理" in html and "暴露垃圾" in html and "永先社区第1网格" in html
    assert reverse("track-case", args=[mine[0].number]) in html
    assert list(my_reports(other).values_list("description", flat=True)) == ["别人的"]


def test_my_reports_status_reads_in_residents_words(client, users, matters, png, resident_with_person):
    from yiwang.cases.services import do_accept_case

    client.force_login(resident_with_person)
    client.post(reverse("resident-report"), form(matters, png))
    case = Case.objects.get()
    do_accept_case(case, acting_user=users["community"])
    html = client.get(reverse("my-reports")).content.decode()
    assert re.search(r'data-testid="my-report-status">已受理<', html)
    assert str(Status.ACCEPTED.label) not in html.split('data-testid="my-reports"')[1]


def test_the_reporter_reads_their_own_report_in_full_from_any_browser(client, matters, png, resident_with_person):
    client.force_login(resident_with_person)
    client.post(reverse("resident-report"), form(matters, png, description="只有我能看到的描述"))
    case = Case.objects.get()
    photo = case.photos.get()
    elsewhere = Client()
    elsewhere.force_login(resident_with_person)
    html = elsewhere.get(reverse("track-case", args=[case.number])).content.decode()
    assert "只有我能看到的描述" in html and elsewhere.get(reverse("case-photo", args=[photo.pk])).status_code == 200
    assert "只有我能看到的描述" not in Client().get(reverse("track-case", args=[case.number])).content.decode()


@pytest.mark.parametrize("who", ["worker_a", "community", "district"])
def test_staff_are_refused_my_reports(client, users, who):
    client.force_login(users[who])
    response = client.get(reverse("my-reports"))
    assert response.status_code == 403 and "我的上报" in response.content.decode()


def test_my_reports_needs_an_account(client, db):
    response = client.get(reverse("my-reports"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_staff_desk_reports_never_show_in_a_residents_list(users, report):
    report("S0001", channel=Channel.DESK, user=users["community"])
    assert not my_reports(users["community"]).exists() and not my_reports(users["resident"]).exists()
