"""The case pages through the Django test client: who may open what, reporting from each channel,
the inbox, actions from the detail page, summonses and the residents' tracking page."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiwang.cases import services
from yiwang.cases.lifecycle import Actor, actions_from
from yiwang.cases.models import Case, CaseEvent, CasePhoto, Channel, Level, PhotoKind, Status
from yiwang.cases.permissions import may_act
from yiwang.core import crypto
from yiwang.notify.models import Notification

from .conftest import POINT_A, POINT_B

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


def client_for(client, user):
    client.force_login(user)
    return client


def resident_form(matters, png, **extra):
    data = {"matter": str(matters("S0001").pk), "description": "楼上漏水,邻里争执", "phone": PHONE,
            "lon": str(POINT_A[0]), "lat": str(POINT_A[1]), "address": "幸福路 8 号", "photos": [png()]}
    data.update(extra)
    return data


def ui_actions(html: str) -> set[str]:
    return set(re.findall(r'class="act" data-action="([a-z_]+)"', html))


def expected_actions(user, case) -> set[str]:
    """What may_act allows now, less the system's moves and the ones folded into another form."""
    pending = case.extensions.filter(status="pending").exists()
    out = set()
    for t in actions_from(case.status):
        if t.actor is Actor.SYSTEM or t.action in ("summon", "rate_unsatisfied"):
            continue
        if t.action in ("approve_extension", "refuse_extension") and not pending:
            continue
        if t.action == "request_extension" and pending:
            continue
        if may_act(user, case, t):
            out.add(t.action)
    return out


# Who may open what -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("worker_a", 200), ("community", 200), ("street", 200), ("district", 200), ("department", 403), ("resident", 403),
])
def test_report_page_is_for_grid_workers_and_coordinating_staff(client, users, name, expected):
    response = client_for(client, users[name]).get(reverse("case-report"))
    assert response.status_code == expected
    if expected == 200:
        html = response.content.decode()
        assert "邻里纠纷（A类）" in html and 'data-tier="A"' in html
        assert 'capture="environment"' in html and 'accept="image/*"' in html


def test_report_page_offers_solve_on_spot_only_to_grid_workers(client, users):
    assert 'name="solve_on_spot"' in client_for(client, users["worker_a"]).get(reverse("case-report")).content.decode()
    assert 'name="solve_on_spot"' not in client_for(client, users["community"]).get(reverse("case-report")).content.decode()


@pytest.mark.parametrize("name, expected", [
    ("community", 200), ("street", 200), ("district", 200), ("worker_a", 403), ("department", 403), ("resident", 403),
])
def test_desk_entry_is_for_community_street_and_district(client, users, name, expected):
    assert client_for(client, users[name]).get(reverse("case-new")).status_code == expected


@pytest.mark.parametrize("url", ["case-report", "case-new", "case-inbox", "case-list"])
def test_staff_pages_send_anonymous_visitors_to_login(client, db, url):
    response = client.get(reverse(url))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("url", ["case-inbox", "case-list"])
def test_resident_accounts_get_no_staff_pages(client, users, url):
    assert client_for(client, users["resident"]).get(reverse(url)).status_code == 403


def test_public_pages_need_no_account(client, tree):
    for name in ("resident-report", "track"):
        assert client.get(reverse(name)).status_code == 200
    grids = client.get(reverse("public-grids")).json()
    assert {f["properties"]["code"] for f in grids["features"]} == {tree.grid_a.code, tree.grid_b.code}
    assert set(grids["features"][0]["properties"]) == {"code", "name"}


def test_staff_grids_are_the_users_scope(client, users, tree):
    codes = {f["properties"]["code"] for f in client_for(client, users["worker_a"]).get(reverse("case-grids")).json()["features"]}
    assert codes == {tree.grid_a.code}


# Grid worker report ------------------------------------------------------------------------------

def test_grid_worker_reports_with_photo_and_answers(client, users, matters, png, tree):
    client_for(client, users["worker_a"])
    response = client.post(reverse("case-report"), {
        "channel": "grid_worker", "matter": str(matters("S0004").pk), "description": "楼道充电", "urgency": "normal",
        "lon": str(POINT_A[0]), "lat": str(POINT_A[1]), "attribute[location_kind]": "corridor", "photos": [png(), png("b.png")],
    }, follow=True)
    assert response.status_code == 200 and response.redirect_chain[0][1] == 303
    case = Case.objects.get()
    assert case.channel == Channel.GRID_WORKER and case.reported_by == users["worker_a"] and case.region == tree.grid_a
    assert case.attributes == {"location_kind": "corridor"}
    assert case.photos.filter(kind=PhotoKind.REPORT).count() == 2
    html = response.content.decode()
    assert case.number in html and 'data-testid="access-code"' not in html


def test_missing_required_answer_is_shown_by_the_question_and_nothing_written(client, users, matters, png):
    client_for(client, users["worker_a"])
    response = client.post(reverse("case-report"), {
        "channel": "grid_worker", "matter": str(matters("S0004").pk), "description": "楼道充电", "urgency": "normal",
        "lon": str(POINT_A[0]), "lat": str(POINT_A[1]), "photos": [png()],
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-question="location_kind"' in html and "请填写充电位置" in html
    assert Case.objects.count() == 0 and CasePhoto.objects.count() == 0


def test_grid_worker_solves_tier_a_on_the_spot_with_before_and_after(client, users, matters, png):
    client_for(client, users["worker_a"])
    data = {"channel": "grid_worker", "matter": str(matters("S0001").pk), "description": "邻里争吵", "urgency": "normal",
            "lon": str(POINT_A[0]), "lat": str(POINT_A[1]), "solve_on_spot": "on", "spot_note": "当场调解"}
    response = client.post(reverse("case-report"), {**data, "before": [png()]})
    assert response.status_code == 400 and "现场解决须附处置前和处置后照片" in response.content.decode()
    assert Case.objects.count() == 0

    response = client.post(reverse("case-report"), {**data, "before": [png()], "after": [png()]}, follow=True)
    assert response.status_code == 200 and "已登记为现场解决" in response.content.decode()
    case = Case.objects.get()
    assert case.status == Status.CLOSED and case.solved_on_spot
    assert set(case.photos.values_list("kind", flat=True)) == {PhotoKind.BEFORE, PhotoKind.AFTER}


def test_solve_on_spot_is_refused_for_a_tier_b_matter(client, users, matters, png):
    client_for(client, users["worker_a"])
    response = client.post(reverse("case-report"), {
        "channel": "grid_worker", "matter": str(matters("S0002").pk), "description": "物业", "urgency": "normal",
        "lon": str(POINT_A[0]), "lat": str(POINT_A[1]), "solve_on_spot": "on", "before": [png()], "after": [png()],
    })
    assert response.status_code == 400 and "只有 A 类事项可以现场解决" in response.content.decode()
    assert Case.objects.count() == 0


def test_point_outside_every_grid_is_refused_in_words(client, users, matters):
    client_for(client, users["worker_a"])
    response = client.post(reverse("case-report"), {"channel": "grid_worker", "matter": str(matters("S0001").pk),
                                                     "description": "x", "urgency": "normal", "lon": "100", "lat": "20"})
    assert response.status_code == 400 and "所选位置不在任何网格内" in response.content.decode()


def test_duplicates_and_questions_fragments(client, users, matters, report):
    existing = report("S0001").case
    client_for(client, users["worker_a"])
    html = client.get(reverse("case-duplicates"), {"matter": matters("S0001").pk, "lon": POINT_A[0], "lat": POINT_A[1]}).content.decode()
    assert existing.number in html and reverse("case-detail", args=[existing.number]) in html
    # worker B's scope does not hold the case: the suggestion is not shown to them.
    client_for(client, users["worker_b"])
    html = client.get(reverse("case-duplicates"), {"matter": matters("S0001").pk, "lon": POINT_A[0], "lat": POINT_A[1]}).content.decode()
    assert existing.number not in html
    html = client.get(reverse("matter-questions"), {"matter": matters("S0004").pk}).content.decode()
    assert 'name="attribute[location_kind]"' in html and "楼道" in html


def test_residents_get_questions_of_public_matters_only(client, matters):
    assert "报警级别" not in client.get(reverse("matter-questions"), {"matter": matters("S0005").pk}).content.decode()


# Desk / hotline ----------------------------------------------------------------------------------

def test_desk_entry_by_grid_with_reporter_and_access_code(client, users, matters, tree):
    client_for(client, users["community"])
    response = client.post(reverse("case-new"), {
        "channel": "hotline", "matter": str(matters("S0002").pk), "description": "物业不修电梯", "urgency": "urgent",
        "grid": str(tree.grid_b.pk), "reporter_name": "王五", "reporter_phone": "138 0013 8000",
    }, follow=True)
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.channel == Channel.HOTLINE and case.region == tree.grid_b and case.lon is None
    assert case.reporter_name == "王五" and "13800138000" not in case.phone_sealed and case.phone_digest == crypto.digest("13800138000")
    code = re.search(r'data-testid="access-code">([A-Z0-9]{8})<', response.content.decode()).group(1)
    assert services.hash_access_code(code) == case.access_code_hash


def test_desk_entry_needs_a_point_or_a_grid_of_ones_scope(client, users, matters, make_user, tree):
    from yiwang.regions.models import Region

    other_grid = Region.objects.create(parent=tree.other_street, level="grid", code="500154001001001", name="汉丰网格")
    client_for(client, users["community"])
    base = {"channel": "desk", "matter": str(matters("S0002").pk), "description": "x", "urgency": "normal"}
    response = client.post(reverse("case-new"), base)
    assert response.status_code == 400 and "请用手机定位或在地图上点选位置" in response.content.decode()
    response = client.post(reverse("case-new"), {**base, "grid": str(other_grid.pk)})
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_channel_outside_the_role_is_refused(client, users, matters):
    client_for(client, users["street"])
    response = client.post(reverse("case-report"), {"channel": "grid_worker", "matter": str(matters("S0002").pk),
                                                     "description": "x", "urgency": "normal", "lon": str(POINT_A[0]), "lat": str(POINT_A[1])})
    assert response.status_code == 400 and Case.objects.count() == 0


# Resident 随手拍 -----------------------------------------------------------------------------------

def test_resident_report_creates_a_resident_case_with_sealed_phone(client, tree, matters, png):
    response = client.post(reverse("resident-report"), resident_form(matters, png), follow=True)
    assert response.redirect_chain == [(reverse("resident-report-done"), 303)]
    case = Case.objects.get()
    assert case.channel == Channel.RESIDENT and case.reported_by is None and case.region == tree.grid_a
    assert case.phone_sealed and PHONE not in case.phone_sealed and case.phone_digest == crypto.digest(PHONE)
    assert crypto.decrypt(case.phone_sealed) == PHONE
    html = response.content.decode()
    code = re.search(r'data-testid="access-code">([A-Z0-9]{8})<', html).group(1)
    assert case.number in html and services.hash_access_code(code) == case.access_code_hash
    assert reverse("track-case", args=[case.number]) in html
    assert case.photos.count() == 1


@pytest.mark.parametrize("phone", ["12912345678", "1391234567", "139123456789", "abc"])
def test_resident_phone_must_be_a_mainland_mobile(client, tree, matters, png, phone):
    response = client.post(reverse("resident-report"), resident_form(matters, png, phone=phone))
    assert response.status_code == 400 and "请输入11位中国大陆手机号" in response.content.decode()
    assert Case.objects.count() == 0


def test_resident_cannot_pick_an_internal_matter(client, tree, users, matters, png):
    response = client.post(reverse("resident-report"), resident_form(matters, png, matter=str(matters("S0005").pk)))
    assert response.status_code == 400 and Case.objects.count() == 0
    assert ">烟感报警（B类）<" in client_for(client, users["worker_a"]).get(reverse("case-report")).content.decode()
    client.logout()
    assert ">烟感报警（B类）<" not in client.get(reverse("resident-report")).content.decode()


def test_resident_needs_a_position(client, tree, matters, png):
    response = client.post(reverse("resident-report"), resident_form(matters, png, lon="", lat=""))
    assert response.status_code == 400 and "请用手机定位或在地图上点选位置" in response.content.decode()


def test_non_image_upload_is_refused_clearly_and_nothing_written(client, tree, matters, settings):
    fake = SimpleUploadedFile("notes.txt", b"this is not a picture", content_type="image/png")
    response = client.post(reverse("resident-report"), resident_form(matters, lambda: fake))
    assert response.status_code == 400
    html = response.content.decode()
    assert "照片无法接收" in html and "notes.txt" in html and "JPEG、PNG、WEBP" in html
    assert Case.objects.count() == 0 and CasePhoto.objects.count() == 0
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_resident_reports_are_limited_per_phone(client, tree, matters, png, settings):
    settings.YIWANG_RESIDENT_REPORTS_PER_HOUR = 2
    for i in range(2):
        assert client.post(reverse("resident-report"), resident_form(matters, png), REMOTE_ADDR=f"10.0.0.{i}").status_code == 303
    response = client.post(reverse("resident-report"), resident_form(matters, png), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429 and "这个手机号一小时内已上报 2 次" in response.content.decode()
    assert Case.objects.count() == 2


def test_resident_reports_are_limited_per_address(client, tree, matters, png, settings):
    settings.YIWANG_RESIDENT_REPORTS_PER_HOUR = 2
    for phone in ("13900000001", "13900000002"):
        assert client.post(reverse("resident-report"), resident_form(matters, png, phone=phone)).status_code == 303
    response = client.post(reverse("resident-report"), resident_form(matters, png, phone="13900000003"))
    assert response.status_code == 429 and "您的网络一小时内已上报 2 次" in response.content.decode()
    assert Case.objects.count() == 2
    # another address with a fresh number still gets through
    assert client.post(reverse("resident-report"), resident_form(matters, png, phone="13900000003"), REMOTE_ADDR="10.9.9.9").status_code == 303


# Inbox and notifications -------------------------------------------------------------------------

def test_inbox_lists_what_to_do_with_a_light_and_unread_notifications(client, users, report, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = report("S0001").case
    client_for(client, users["community"])
    html = client.get(reverse("case-inbox")).content.decode()
    assert f'data-number="{case.number}"' in html and "待受理" in html
    assert 'data-light="green"' in html and "正常" in html
    note = Notification.objects.get(user=users["community"], case=case)
    assert note.text in html and note.read_at is None

    response = client.post(reverse("notification-open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("case-detail", args=[case.number])
    note.refresh_from_db()
    assert note.read_at is not None
    assert note.text not in client.get(reverse("case-inbox")).content.decode()
    # someone else's notification cannot be opened
    other = Notification.objects.get(user=users["street"], case=case)
    assert client.post(reverse("notification-open", args=[other.pk])).status_code == 404


def test_overdue_case_shows_red_with_words(client, users, report):
    from datetime import timedelta

    from django.utils import timezone

    case = report("S0001").case
    Case.objects.filter(pk=case.pk).update(step_warn_at=timezone.now() - timedelta(hours=2), step_due_at=timezone.now() - timedelta(hours=1), step_overdue=True)
    html = client_for(client, users["community"]).get(reverse("case-inbox")).content.decode()
    assert 'data-light="red"' in html and "超时" in html


def test_grid_worker_inbox_fills_after_dispatch(client, users, report):
    case = report("S0001").case
    client_for(client, users["worker_a"])
    assert case.number not in client.get(reverse("case-inbox")).content.decode()
    services.do_accept_case(case, acting_user=users["community"])
    services.do_dispatch_case(case, acting_user=users["community"])
    html = client.get(reverse("case-inbox")).content.decode()
    assert case.number in html and "待签收" in html


# List and detail ---------------------------------------------------------------------------------

def test_case_list_is_scoped_and_filters(client, users, report):
    a = report("S0001").case
    b = report("S0002", at=POINT_B).case
    services.do_accept_case(b, acting_user=users["community"])
    html = client_for(client, users["worker_a"]).get(reverse("case-list")).content.decode()
    assert a.number in html and b.number not in html
    client_for(client, users["community"])
    html = client.get(reverse("case-list"), {"status": "accepted"}).content.decode()
    assert b.number in html and a.number not in html
    html = client.get(reverse("case-list"), {"overdue": "1"}).content.decode()
    assert a.number not in html and b.number not in html


def test_case_detail_is_404_outside_scope(client, users, report):
    case = report("S0001").case
    assert client_for(client, users["worker_b"]).get(reverse("case-detail", args=[case.number])).status_code == 404
    assert client.post(reverse("case-act", args=[case.number, "accept"])).status_code == 404
    assert client_for(client, users["department"]).get(reverse("case-detail", args=[case.number])).status_code == 404


def test_detail_shows_facts_routing_reasons_timeline_and_photos(client, users, report, png):
    case = report("S0001", photos=[png()], reporter_name="张三", reporter_phone=PHONE).case
    html = client_for(client, users["community"]).get(reverse("case-detail", args=[case.number])).content.decode()
    assert "落在 永先社区第1网格" in html  # why it went there
    assert "张三" in html and "139****5678" in html and PHONE not in html
    photo = case.photos.get()
    assert reverse("case-photo", args=[photo.pk]) in html
    response = client.get(reverse("case-photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert client_for(client, users["worker_b"]).get(reverse("case-photo", args=[photo.pk])).status_code == 404


@pytest.mark.parametrize("name", ["community", "street", "district", "worker_a"])
def test_action_buttons_match_may_act(client, users, report, name):
    case = report("S0001").case
    user = users[name]
    client_for(client, user)
    for step in (None, "accept", "dispatch", "sign"):
        if step == "accept":
            services.do_accept_case(case, acting_user=users["community"])
        elif step == "dispatch":
            services.do_dispatch_case(case, acting_user=users["community"])
        elif step == "sign":
            services.do_sign_case(case, acting_user=users["worker_a"])
        case.refresh_from_db()
        shown = ui_actions(client.get(reverse("case-detail", args=[case.number])).content.decode())
        assert shown == expected_actions(user, case), (name, case.status)


def test_action_buttons_for_a_reported_case(client, users, report):
    case = report("S0001").case
    community = ui_actions(client_for(client, users["community"]).get(reverse("case-detail", args=[case.number])).content.decode())
    assert community == {"accept", "reject", "merge", "urge"}
    worker = ui_actions(client_for(client, users["worker_a"]).get(reverse("case-detail", args=[case.number])).content.decode())
    assert worker == {"solve_on_spot"}


def test_posting_an_action_transitions_and_records(client, users, report):
    case = report("S0001").case
    client_for(client, users["community"])
    response = client.post(reverse("case-act", args=[case.number, "accept"]), {"note": "受理"})
    assert response.status_code == 302 and response["Location"] == reverse("case-detail", args=[case.number])
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    html = client.get(response["Location"]).content.decode()
    assert "已受理立案" in html
    client.post(reverse("case-act", args=[case.number, "dispatch"]), {"target": ""})
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.level == Level.GRID


def test_refused_actions_name_the_field_and_change_nothing(client, users, report):
    case = report("S0001").case
    client_for(client, users["community"])
    response = client.post(reverse("case-act", args=[case.number, "reject"]), {"note": ""}, follow=True)
    html = response.content.decode()
    assert "“不予立案”未完成" in html and "说明：请写明理由" in html
    response = client.post(reverse("case-act", args=[case.number, "close"]), follow=True)
    assert "当前状态“待受理”下不能执行“结案”" in response.content.decode()
    response = client.post(reverse("case-act", args=[case.number, "merge"]), {"original": "nope"}, follow=True)
    assert "原事件编号：找不到编号为“nope”的事件" in response.content.decode()
    client_for(client, users["worker_a"])
    response = client.post(reverse("case-act", args=[case.number, "accept"]), follow=True)
    assert "您无权执行此操作" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.REPORTED and case.events.count() == 1
    assert client.post(reverse("case-act", args=[case.number, "mark_overdue"])).status_code == 404


def test_handle_with_a_non_image_changes_nothing(client, users, report, png):
    case = report("S0001").case
    services.do_accept_case(case, acting_user=users["community"])
    services.do_dispatch_case(case, acting_user=users["community"])
    services.do_sign_case(case, acting_user=users["worker_a"])
    client_for(client, users["worker_a"])
    bad = SimpleUploadedFile("x.pdf", b"%PDF-1.4", content_type="application/pdf")
    html = client.post(reverse("case-act", args=[case.number, "handle"]), {"note": "已处理", "after": [bad]}, follow=True).content.decode()
    assert "处置后照片：照片无法接收" in html
    case.refresh_from_db()
    assert case.status == Status.SIGNED and case.photos.count() == 0
    client.post(reverse("case-act", args=[case.number, "handle"]), {"note": "已处理", "after": [png()]})
    case.refresh_from_db()
    assert case.status == Status.HANDLED and case.photos.get().kind == PhotoKind.AFTER


def test_street_dispatches_to_a_department_which_returns_it(client, users, report, department):
    case = report("06001").case
    client_for(client, users["street"])
    client.post(reverse("case-act", args=[case.number, "accept"]))
    html = client.get(reverse("case-detail", args=[case.number])).content.decode()
    assert f'value="dept:{department.pk}"' in html and "按分拨建议（开州区城管执法局）" in html
    client.post(reverse("case-act", args=[case.number, "dispatch"]), {"target": f"dept:{department.pk}"})
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.handling_department == department and case.level == Level.DEPARTMENT
    # The department sees it, and its "return" sends it back (and out of its sight).
    client_for(client, users["department"])
    assert ui_actions(client.get(reverse("case-detail", args=[case.number])).content.decode()) == {"sign", "return", "escalate"}
    response = client.post(reverse("case-act", args=[case.number, "return"]), {"note": "不属于本部门"})
    assert response["Location"] == reverse("case-inbox")
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED


def test_extension_request_and_decision(client, users, report):
    case = report("S0001").case
    for step, user in (("accept", "community"), ("dispatch", "community"), ("sign", "worker_a")):
        services.perform(case, step, acting_user=users[user])
    client_for(client, users["worker_a"])
    client.post(reverse("case-act", args=[case.number, "request_extension"]), {"amount": "2d", "note": "等配件"})
    assert case.extensions.get().amount == "2d"
    client_for(client, users["community"])
    html = client.get(reverse("case-detail", args=[case.number])).content.decode()
    assert {"approve_extension", "refuse_extension"} <= ui_actions(html) and "等配件" in html
    client.post(reverse("case-act", args=[case.number, "approve_extension"]))
    assert case.extensions.get().status == "approved"


# Summons -----------------------------------------------------------------------------------------

def test_summons_check_in_done_and_ratings(client, users, report, department):
    case = report("06001").case
    services.do_accept_case(case, acting_user=users["street"])
    client_for(client, users["street"])
    html = client.get(reverse("case-detail", args=[case.number])).content.decode()
    assert 'data-testid="summon-form"' in html
    response = client.post(reverse("case-summon", args=[case.number]), {"reason": "", "part-0-department": str(department.pk), "part-0-task": "拆除"}, follow=True)
    assert "哨令：请写明吹哨事由" in response.content.decode()
    client.post(reverse("case-summon", args=[case.number]), {"reason": "违建需联合执法", "part-0-department": str(department.pk),
                                                            "part-0-task": "到场拆除", "part-0-hours": "2"})
    part = case.summonses.get().parts.get()
    assert part.department == department and part.task == "到场拆除"

    client_for(client, users["department"])
    html = client.get(reverse("case-detail", args=[case.number])).content.decode()
    assert 'data-testid="part-check-in"' in html
    client.post(reverse("summons-part", args=[part.pk, "check-in"]))
    client.post(reverse("summons-part", args=[part.pk, "done"]), {"result": "已拆除", "stars": "5"})
    part.refresh_from_db()
    assert part.checked_in_at and part.done_at and part.rating_of_summoner == 5

    client_for(client, users["street"])
    assert 'data-testid="part-rate"' in client.get(reverse("case-detail", args=[case.number])).content.decode()
    client.post(reverse("summons-part", args=[part.pk, "rate"]), {"stars": "4"})
    part.refresh_from_db()
    assert part.rating_of_participant == 4 and part.summons.status == "closed"


def test_grid_worker_cannot_summon(client, users, report, department):
    case = report("S0001").case
    client_for(client, users["worker_a"])
    assert 'data-testid="summon-form"' not in client.get(reverse("case-detail", args=[case.number])).content.decode()
    client.post(reverse("case-summon", args=[case.number]), {"reason": "x", "part-0-department": str(department.pk), "part-0-task": "t"})
    assert not case.summonses.exists()


# Public tracking ---------------------------------------------------------------------------------

def closed_resident_case(users, matters, *, at=POINT_A):
    users["community"].first_name = "李四科员"
    users["community"].save()
    report = services.Report(channel=Channel.RESIDENT, matter=matters("S0001"), description="邻居噪音", lon=at[0], lat=at[1],
                             address="幸福路 8 号", reporter_name="张三", reporter_phone=PHONE)
    intake = services.report_case(report)
    case = intake.case
    for step, user, note in (("accept", "community", ""), ("dispatch", "community", ""), ("sign", "worker_a", ""),
                             ("handle", "worker_a", "已上门调解"), ("verify", "community", ""), ("close", "community", "")):
        services.perform(case, step, acting_user=users[user], note=note)
    return intake


def test_tracking_shows_public_timeline_without_names_or_phone(client, users, matters):
    intake = closed_resident_case(users, matters)
    case = intake.case
    response = client.get(reverse("track"), {"number": case.number})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "已结案" in html and "邻里纠纷" in html
    assert "处置完成" in html  # the action's label
    # Anyone may look a number up (they run in sequence): steps and times only; no staff note, no
    # names, no phone, and the resident's address only for the resident.
    for secret in ("已上门调解", "李四科员", "worker_a", "community", "张三", PHONE, "139****5678", "幸福路 8 号"):
        assert secret not in html, secret
    client.post(reverse("track-act", args=[case.number, "unlock"]), {"access_code": intake.access_code})
    unlocked = client.get(reverse("track-case", args=[case.number])).content.decode()
    assert "幸福路 8 号" in unlocked and "已上门调解" in unlocked


def test_tracking_hides_internal_events(client, users, matters, report):
    case = report("S0001", channel=Channel.RESIDENT).case
    services.perform(case, "urge", acting_user=users["community"], note="内部催办备注", public=False)
    assert "内部催办备注" not in client.get(reverse("track-case", args=[case.number])).content.decode()


def test_tracking_is_not_for_internal_cases(client, users, matters, report):
    case = report("S0007", channel=Channel.GRID_WORKER, user=users["worker_a"]).case  # 独居老人关爱: not public
    assert client.get(reverse("track-case", args=[case.number])).status_code == 404
    assert client.get(reverse("track-case", args=["nonexistent"])).status_code == 404


def test_rating_with_a_wrong_code_is_refused_and_the_right_code_rates(client, users, matters):
    intake = closed_resident_case(users, matters)
    case = intake.case
    response = client.post(reverse("track-act", args=[case.number, "rate"]), {"access_code": "WRONG234", "rating": "satisfied"})
    assert response.status_code == 403 and "查询码不正确" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.rating == ""
    response = client.post(reverse("track-act", args=[case.number, "rate"]), {"access_code": intake.access_code.lower(), "rating": "satisfied"}, follow=True)
    assert "已提交评价" in response.content.decode() and "已评价" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.RATED and case.rating == "satisfied"


def test_unsatisfied_rating_reopens_and_reopen_needs_a_reason(client, users, matters):
    intake = closed_resident_case(users, matters)
    case = intake.case
    response = client.post(reverse("track-act", args=[case.number, "reopen"]), {"access_code": intake.access_code, "note": ""})
    assert response.status_code == 400 and "说明：请写明理由" in response.content.decode()
    client.post(reverse("track-act", args=[case.number, "rate"]), {"access_code": intake.access_code, "rating": "unsatisfied", "note": "还是吵"})
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.rating == "unsatisfied" and case.reopen_count == 1
    assert CaseEvent.objects.filter(case=case, action="rate_unsatisfied").exists()


def test_wrong_codes_are_throttled_per_case(client, users, matters):
    intake = closed_resident_case(users, matters)
    case = intake.case
    for _ in range(10):
        client.post(reverse("track-act", args=[case.number, "rate"]), {"access_code": "WRONG234", "rating": "satisfied"})
    response = client.post(reverse("track-act", args=[case.number, "rate"]), {"access_code": intake.access_code, "rating": "satisfied"})
    assert response.status_code == 429
    case.refresh_from_db()
    assert case.status == Status.CLOSED


def test_pages_follow_the_chosen_language(client, tree):
    client.cookies["django_language"] = "en"
    html = client.get(reverse("resident-report")).content.decode()
    assert "Snap and report" in html and "Use my location" in html and "随手拍" not in html.split("<main>")[1]


def test_internal_notes_from_the_detail_page_stay_off_the_tracking_page(client, users, report):
    intake = report("S0001", channel=Channel.RESIDENT)
    case = intake.case
    client_for(client, users["community"])
    client.post(reverse("case-act", args=[case.number, "urge"]), {"note": "请尽快受理"})  # internal by the service's rule
    client.post(reverse("case-act", args=[case.number, "accept"]), {"note": "内部:已电话核实", "internal": "1"})
    client.post(reverse("case-act", args=[case.number, "dispatch"]), {"note": "派第1网格处理"})
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED
    client.logout()
    html = client.get(reverse("track-case", args=[case.number])).content.decode()
    assert "派遣" in html and "派第1网格处理" not in html  # without the access code: the step, not the note
    client.post(reverse("track-act", args=[case.number, "unlock"]), {"access_code": intake.access_code})
    html = client.get(reverse("track-case", args=[case.number])).content.decode()
    assert "派遣" in html and "派第1网格处理" in html
    assert "请尽快受理" not in html and "内部:已电话核实" not in html


def test_the_reporter_sees_their_photos_on_the_tracking_page_others_need_the_code(client, tree, matters, png):
    response = client.post(reverse("resident-report"), resident_form(matters, png), follow=True)
    code = re.search(r'data-testid="access-code">([A-Z0-9]{8})<', response.content.decode()).group(1)
    case = Case.objects.get()
    photo = case.photos.get()
    html = client.get(reverse("track-case", args=[case.number])).content.decode()
    assert reverse("case-photo", args=[photo.pk]) in html and "楼上漏水" in html
    assert client.get(reverse("case-photo", args=[photo.pk])).status_code == 200

    from django.test import Client

    stranger = Client()
    html = stranger.get(reverse("track-case", args=[case.number])).content.decode()
    assert reverse("case-photo", args=[photo.pk]) not in html and "楼上漏水" not in html
    assert stranger.get(reverse("case-photo", args=[photo.pk])).status_code == 404
    assert stranger.post(reverse("track-act", args=[case.number, "unlock"]), {"access_code": "WRONG234"}).status_code == 403
    assert stranger.get(reverse("case-photo", args=[photo.pk])).status_code == 404
    stranger.post(reverse("track-act", args=[case.number, "unlock"]), {"access_code": code})
    html = stranger.get(reverse("track-case", args=[case.number])).content.decode()
    assert reverse("case-photo", args=[photo.pk]) in html and "楼上漏水" in html
    assert stranger.get(reverse("case-photo", args=[photo.pk])).status_code == 200


def test_cases_opened_in_households_are_not_tracked(client, users, report):
    """A campaign check or a home visit has no resident to follow it; its number shows nothing."""
    case = report("S0008", channel=Channel.GRID_WORKER, user=users["worker_a"]).case  # 防溺水隐患: a public matter
    assert client.get(reverse("track-case", args=[case.number])).status_code == 200
    Case.objects.filter(pk=case.pk).update(external_source="campaign")
    assert client.get(reverse("track-case", args=[case.number])).status_code == 404
