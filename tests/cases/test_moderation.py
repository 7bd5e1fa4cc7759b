"""Publication after moderation: nothing of a case reaches the public feed unless its reporter chose
so and a moderator released an edited text (or a coordinator published a redacted version of a
staff-recorded case); household matters never; ratings never; photos re-encoded and released as a
redacted copy."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.cases.conftest import POINT_A
from yiwang.cases import moderation, services
from yiwang.cases.models import Case, CasePublication, Channel, PublicationState, ReporterBan
from yiwang.core.models import AuditEntry

FEED = "/open311/v2/requests.json"
UPDATES = "/open311/v2/servicerequestupdates.json"
PHONE = "13912345678"
FLAT_FINDING = "【防溺水安全专项排查】滨河小区1栋501:监护人外出务工，由老人看护"


@pytest.fixture(autouse=True)
def _fresh_report_limits():
    # /report/ counts reports per client address in the cache; each test starts from none.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def feed(client, **params) -> list[dict]:
    response = client.get(FEED, params)
    assert response.status_code == 200, response.content
    return response.json()


def numbers(client, **params) -> set[str]:
    return {r["service_request_id"] for r in feed(client, **params)}


def jpeg_with_gps(size=(3000, 1200), orientation: int | None = None) -> bytes:
    """A JPEG whose EXIF holds a GPS position (and, if given, an orientation)."""
    from PIL import Image

    image = Image.new("RGB", size, (40, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (31.0, 6.0, 18.0), 3: "E", 4: (108.0, 18.0, 7.0)})
    if orientation:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def described(matters):
    """A case with the given description (the shared `report` fixture fixes its own)."""
    from yiwang.cases.services import Report, report_case

    def make(code, description, *, user=None, channel=Channel.DESK, **extra):
        return report_case(Report(channel=channel, matter=matters(code), lon=POINT_A[0], lat=POINT_A[1], description=description,
                                  **extra), acting_user=user).case

    return make


def resident_post(matters, **extra) -> dict:
    data = {"matter": str(matters("06036", kind="event").pk), "description": "人行道堆满建筑垃圾", "phone": PHONE,
            "lon": str(POINT_A[0] + 0.000412), "lat": str(POINT_A[1] + 0.000377), "address": "幸福路 8 号"}
    data.update(extra)
    return data


# Household matters --------------------------------------------------------------------------------

def test_campaign_finding_is_never_published(client, users, described):
    """The finding the demo leaked: a campaign check's household, its flat and its family."""
    finding = described("S0008", FLAT_FINDING, channel=Channel.GRID_WORKER, user=users["worker_a"],
                        external_source="campaign", external_id="1-1")
    assert feed(client, service_code="community-S0008") == []
    with pytest.raises(ValidationError) as refused:
        moderation.publish_staff_version(finding, acting_user=users["community"], text="防溺水隐患")
    assert "不公开" in str(refused.value)
    assert feed(client) == [] and "1栋501" not in client.get(UPDATES).content.decode()


@pytest.mark.parametrize("source", ["gridwork"])
def test_patrol_and_home_visit_cases_are_never_published(client, users, described, source):
    for external_id in ("patrol-1-1", "visit-2-1"):
        case = described("06036", "3单元402室门口堆放杂物", channel=Channel.GRID_WORKER, user=users["worker_a"],
                         external_source=source, external_id=external_id)
        with pytest.raises(ValidationError):
            moderation.publish_staff_version(case, acting_user=users["community"], text="堆物堆料")
    assert feed(client) == []


def test_grid_worker_case_is_public_only_as_a_coordinators_redacted_version(client, users, described):
    case = described("06036", "家门口(2号楼3单元402室)堆放杂物", channel=Channel.GRID_WORKER, user=users["worker_a"])
    assert feed(client) == []  # staff-recorded: nothing until a coordinator publishes
    with pytest.raises(ValidationError) as refused:
        moderation.publish_staff_version(case, acting_user=users["community"], text=case.description)
    assert "门牌房号" in str(refused.value)
    moderation.publish_staff_version(case, acting_user=users["community"], text="楼道口堆放杂物", reason="去掉门牌")
    (shown,) = feed(client)
    assert shown["description"] == "楼道口堆放杂物" and shown["address"] is None


def test_disputes_and_care_are_never_offered_even_when_the_reporter_asks(client, matters, tree):
    client.post(reverse("resident-report"), resident_post(matters, matter=str(matters("S0001").pk), publish="on"))
    case = Case.objects.get()
    assert case.matter.category == "矛盾纠纷"
    assert not CasePublication.objects.exists()


# Residents' reports --------------------------------------------------------------------------------

def test_resident_report_is_public_only_after_the_reporter_chose_and_a_moderator_released(client, users, matters, settings):
    settings.YIWANG_PUBLIC_COORD_DECIMALS = 3
    response = client.post(reverse("resident-report"), resident_post(matters, publish="on"), follow=True)
    assert response.status_code == 200 and "您选择了公开显示" in response.content.decode()
    case = Case.objects.get()
    assert case.publication.state == PublicationState.PENDING
    assert feed(client) == []
    assert client.get(f"/open311/v2/requests/{case.number}.json").status_code == 404
    moderation.release(case.publication, acting_user=users["community"], text="人行道堆满建筑垃圾，影响通行", reason="补充描述")
    (shown,) = feed(client)
    assert shown["description"] == "人行道堆满建筑垃圾，影响通行"
    assert (shown["lat"], shown["long"]) == (round(case.lat, 3), round(case.lon, 3)) and shown["lat"] != case.lat
    assert shown["address"] is None and PHONE not in client.get(FEED).content.decode()
    change = case.publication.changes.get()
    assert (change.actor, change.action, change.reason, change.text_before) == (users["community"], "release", "补充描述", "人行道堆满建筑垃圾")
    assert AuditEntry.objects.filter(action="cases.publication.release", target_id=str(case.pk)).exists()


def test_resident_report_without_the_choice_is_never_public(client, users, matters):
    response = client.post(reverse("resident-report"), resident_post(matters), follow=True)
    assert "您的反映不公开显示" in response.content.decode()
    case = Case.objects.get()
    assert not CasePublication.objects.exists()
    with pytest.raises(ValidationError):
        moderation.publish_staff_version(case, acting_user=users["community"], text="人行道堆满建筑垃圾")
    assert feed(client) == []


def test_open311_public_defaults_to_private(client, users, db, tree):
    from yiwang.open311.models import ApiKey

    key = ApiKey.issue("测试")[1]
    base = {"api_key": key, "service_code": "event-06036", "lat": str(POINT_A[1]), "long": str(POINT_A[0]), "description": "堆物"}
    private = client.post("/open311/v2/requests.json", base).json()[0]["service_request_id"]
    public = client.post("/open311/v2/requests.json", {**base, "public": "true"}).json()[0]["service_request_id"]
    assert not CasePublication.objects.filter(case__number=private).exists()
    assert CasePublication.objects.get(case__number=public).state == PublicationState.PENDING
    assert client.post("/open311/v2/requests.json", {**base, "public": "maybe"}).status_code == 400


def test_rating_comment_is_never_published(client, users, report):
    intake = report("06036", channel=Channel.RESIDENT, reporter_phone=PHONE, publish=True)
    case = intake.case
    moderation.release(case.publication, acting_user=users["community"], text="人行道堆满建筑垃圾")
    services.do_accept_case(case, acting_user=users["community"])
    services.do_dispatch_case(case, acting_user=users["community"])
    services.do_sign_case(case, acting_user=users["worker_a"])
    services.do_handle_case(case, acting_user=users["worker_a"], note="已清运")
    services.do_verify_case(case, acting_user=users["community"])
    services.do_close_case(case, acting_user=users["community"], note="已清运完毕")
    services.do_rate_case(case, rating="satisfied", note="王师傅很负责，电话13700001111", access_code=intake.access_code)
    (shown,) = feed(client)
    assert shown["status_notes"] == "已清运完毕"  # the staff's public note, not the resident's comment
    for answer in (client.get(FEED).content.decode(), client.get(UPDATES).content.decode()):
        assert "王师傅" not in answer and "13700001111" not in answer


# Hits ---------------------------------------------------------------------------------------------

def test_redaction_hits(users, report, tree):
    from yiwang.registry.models import Person

    Person.objects.create(region=tree.micro_a1, name="张秀英")
    case = report("06036", channel=Channel.DESK).case
    text = ("张秀英反映1栋501和3单元402室门口堆物，电话13812345678，身份证11010519491231002X；"
            "另一串110105194912310021不是身份证号")
    hits = moderation.find_hits(text, case=case)
    assert [(h.kind, h.text) for h in hits] == [
        ("name", "张秀英"), ("flat", "1栋501"), ("flat", "3单元402室"), ("phone", "13812345678"), ("id_number", "11010519491231002X")]
    with pytest.raises(ValidationError) as refused:
        moderation.publish_staff_version(case, acting_user=users["community"], text=text)
    assert set(refused.value.message_dict) == {"text"} and "身份证号" in refused.value.message_dict["text"][0]
    # A name hit alone is released when the moderator confirms it is not a person.
    with pytest.raises(ValidationError):
        moderation.publish_staff_version(case, acting_user=users["community"], text="张秀英路口堆物")
    moderation.publish_staff_version(case, acting_user=users["community"], text="张秀英路口堆物", confirm_names=True)


def test_moderation_needs_street_or_community_staff_in_scope(users, report, make_user, tree):
    case = report("06036", channel=Channel.DESK).case
    outsider = make_user("other_street", "street", tree.other_street)
    for user in (users["worker_a"], users["department"], outsider):
        with pytest.raises(PermissionDenied):
            moderation.publish_staff_version(case, acting_user=user, text="堆物")


# Ban ----------------------------------------------------------------------------------------------

def test_banned_reporters_reports_are_taken_but_never_offered(client, users, matters):
    client.post(reverse("resident-report"), resident_post(matters, publish="on"))
    first = Case.objects.get()
    client.post(reverse("resident-report"), resident_post(matters, publish="on", description="第二次"))
    second = Case.objects.exclude(pk=first.pk).get()
    moderation.ban_reporter(first, acting_user=users["community"], reason="辱骂工作人员")
    ban = ReporterBan.objects.get()
    assert ban.phone_digest == first.phone_digest and PHONE not in str(ban.__dict__)
    assert set(CasePublication.objects.values_list("state", flat=True)) == {PublicationState.WITHHELD}
    response = client.post(reverse("resident-report"), resident_post(matters, publish="on", description="第三次"), follow=True)
    assert response.status_code == 200  # still accepted
    third = Case.objects.order_by("-pk").first()
    assert third.publication.state == PublicationState.WITHHELD
    with pytest.raises(ValidationError):
        moderation.release(second.publication, acting_user=users["community"], text="第二次")
    client.force_login(users["community"])
    queue = client.get(reverse("moderation-queue")).content.decode()
    assert first.number not in queue and third.number not in queue
    assert AuditEntry.objects.filter(action="cases.reporter_ban").exists()
    # Lifted: the next report is offered again; the withheld ones stay withheld.
    moderation.lift_ban(ban, acting_user=users["community"])
    client.post(reverse("resident-report"), resident_post(matters, publish="on", description="第四次"))
    assert Case.objects.order_by("-pk").first().publication.state == PublicationState.PENDING
    assert second.publication.__class__.objects.get(pk=second.publication.pk).state == PublicationState.WITHHELD


# Photos -------------------------------------------------------------------------------------------

def test_exif_and_gps_are_gone_after_upload_and_size_capped(client, matters, tree):
    from PIL import Image

    upload = SimpleUploadedFile("scene.jpg", jpeg_with_gps(orientation=6), content_type="image/jpeg")
    assert Image.open(io.BytesIO(upload.read())).getexif().get_ifd(0x8825)
    upload.seek(0)
    client.post(reverse("resident-report"), resident_post(matters, photos=[upload]))
    photo = Case.objects.get().photos.get()
    with photo.image.open("rb") as handle:
        stored = handle.read()
    image = Image.open(io.BytesIO(stored))
    assert not image.getexif() and b"Exif" not in stored and b"TestCam" not in stored
    # Orientation 6 (rotate 90°) applied: the 3000×1200 picture now stands, its long side capped.
    assert image.size == (819, 2048)
    with photo.thumbnail.open("rb") as handle:
        assert max(Image.open(handle).size) == 320


def test_non_image_and_oversized_uploads_name_the_field_in_chinese(client, matters, settings, tree):
    fake = SimpleUploadedFile("notes.txt", b"hello", content_type="image/jpeg")
    html = client.post(reverse("resident-report"), resident_post(matters, photos=[fake])).content.decode()
    assert "照片“notes.txt”不是可识别的图片" in html
    settings.YIWANG_PHOTO_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.jpg", jpeg_with_gps(), content_type="image/jpeg")
    html = client.post(reverse("resident-report"), resident_post(matters, photos=[big])).content.decode()
    assert "照片“big.jpg”大小为" in html and "超过上限" in html
    assert not Case.objects.exists()


def test_released_photo_is_the_redacted_copy_and_only_it_is_public(client, users, matters):
    from PIL import Image

    upload = SimpleUploadedFile("scene.jpg", jpeg_with_gps(size=(400, 300)), content_type="image/jpeg")
    client.post(reverse("resident-report"), resident_post(matters, publish="on", photos=[upload]))
    case = Case.objects.get()
    photo = case.photos.get()
    moderation.release(case.publication, acting_user=users["community"], text="人行道堆物")
    (shown,) = feed(client)
    assert shown["media_url"] is None  # the case is public, its photo not yet
    assert client.get(f"/open311/v2/media/{photo.pk}").status_code == 404
    with pytest.raises(ValidationError) as refused:
        moderation.release_photo(photo, acting_user=users["community"], rectangles="350,250,100,100")
    assert "超出图片范围" in str(refused.value)
    moderation.release_photo(photo, acting_user=users["community"], rectangles="10,20,100,50")
    (shown,) = feed(client)
    assert shown["media_url"].endswith(f"/open311/v2/media/{photo.pk}")
    response = client.get(f"/open311/v2/media/{photo.pk}")
    served = Image.open(io.BytesIO(b"".join(response.streaming_content))).convert("RGB")
    assert served.getpixel((60, 45)) == (0, 0, 0) or sum(served.getpixel((60, 45))) < 30
    assert sum(served.getpixel((300, 200))) > 200  # outside the rectangle: untouched
    assert not served.getexif()


def test_moderation_queue_lists_thumbnails(client, users, matters):
    from PIL import Image

    upload = SimpleUploadedFile("scene.jpg", jpeg_with_gps(size=(1600, 1200)), content_type="image/jpeg")
    client.post(reverse("resident-report"), resident_post(matters, publish="on", photos=[upload]))
    case = Case.objects.get()
    photo = case.photos.get()
    client.force_login(users["community"])
    html = client.get(reverse("moderation-queue")).content.decode()
    thumb = f"{reverse('case-photo', args=[photo.pk])}?size=thumb"
    assert case.number in html and thumb in html
    response = client.get(thumb)
    assert max(Image.open(io.BytesIO(b"".join(response.streaming_content))).size) == 320
    client.force_login(users["worker_a"])
    assert client.get(reverse("moderation-queue")).status_code == 403


def test_moderator_page_edits_and_releases_with_history(client, users, matters):
    client.post(reverse("resident-report"), resident_post(matters, publish="on", description="1栋501门口堆满杂物，找13812345678"))
    case = Case.objects.get()
    client.force_login(users["street"])
    page = client.get(reverse("moderation-detail", args=[case.number])).content.decode()
    assert '<mark title="门牌房号" data-kind="flat">1栋501</mark>' in page and 'data-kind="phone"' in page
    act = reverse("moderation-act", args=[case.number, "release"])
    response = client.post(act, {"text": case.description, "reason": ""})
    assert response.status_code == 400 and "公开描述：仍含个人信息" in response.content.decode()
    response = client.post(act, {"text": "楼道门口堆满杂物", "reason": "删去门牌和电话", "reply": "已安排清运"})
    assert response.status_code == 302
    (shown,) = feed(client)
    assert (shown["description"], shown["status_notes"]) == ("楼道门口堆满杂物", "已安排清运")
    hide = client.post(reverse("moderation-act", args=[case.number, "hide"]), {"reason": ""})
    assert hide.status_code == 400 and "理由" in hide.content.decode()
    client.post(reverse("moderation-act", args=[case.number, "hide"]), {"reason": "反映人要求撤下"})
    assert feed(client) == []
    assert list(case.publication.changes.values_list("action", "actor__username")) == [("release", "street"), ("hide", "street")]


def test_staff_notes_with_personal_data_never_reach_the_feed(client, users, report):
    """A released case's later staff notes are published only when they show no phone, ID or flat number."""
    intake = report("06036", channel=Channel.RESIDENT, reporter_phone=PHONE, publish=True)
    case = intake.case
    moderation.release(case.publication, acting_user=users["community"], text="人行道堆满建筑垃圾")
    services.do_accept_case(case, acting_user=users["community"])
    services.do_dispatch_case(case, acting_user=users["community"])
    services.do_sign_case(case, acting_user=users["worker_a"])
    services.do_handle_case(case, acting_user=users["worker_a"], note="已联系业主 13700001111，1栋501 已清理")
    (shown,) = feed(client)
    assert shown["status_notes"] is None
    for answer in (client.get(FEED).content.decode(), client.get(UPDATES).content.decode()):
        assert "13700001111" not in answer and "1栋501" not in answer
    services.do_verify_case(case, acting_user=users["community"], note="现场已清理干净")
    (shown,) = feed(client)
    assert shown["status_notes"] == "现场已清理干净"


def test_a_photo_action_with_a_bad_photo_id_names_the_field(client, users, report):
    case = report("06036", channel=Channel.RESIDENT, reporter_phone=PHONE, publish=True).case
    client.force_login(users["street"])
    for photo in ("abc", "9" * 40, ""):
        response = client.post(reverse("moderation-act", args=[case.number, "photo"]), {"photo": photo, "rectangles": ""})
        assert response.status_code == 400 and "请选择这件事件的照片" in response.content.decode()
