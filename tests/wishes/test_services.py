"""The rules of a wish's life: who may take each step, from which status, and what is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.wishes.conftest import png_upload
from yiwang.core.models import AuditEntry
from yiwang.wishes import claimants, selectors, services
from yiwang.wishes.models import Wish, WishEvent, WishPhoto

pytestmark = pytest.mark.django_db


def test_whole_life_resident_posts_community_publishes_member_claims_fulfils_resident_confirms(cast, users):
    wish = services.post_wish(acting_user=cast.wisher_user, title="  想学用智能手机视频通话 ", category="company")
    assert (wish.status, wish.person, wish.region, wish.posted_via, wish.title) == ("submitted", cast.wisher, cast.wisher.region, "resident",
                                                                                   "想学用智能手机视频通话")
    deadline = timezone.localdate() + timedelta(days=14)
    wish = services.approve_wish(wish, acting_user=users["community"], deadline=deadline)
    assert (wish.status, wish.deadline, wish.reviewed_by) == ("published", deadline, users["community"])
    wish = services.claim_wish(wish, acting_user=cast.member_user)
    assert (wish.status, wish.claimant_kind, wish.claimant_person, wish.claimant_unit) == ("claimed", "party_member", cast.member, None)
    wish = services.fulfil_wish(wish, acting_user=cast.member_user, note="上门教了两个小时", photos=[png_upload()])
    assert wish.status == "fulfilled" and wish.photos.count() == 1
    photo = wish.photos.get()
    assert photo.content_type == "image/png" and photo.image.read().startswith(b"\x89PNG")
    wish = services.confirm_wish(wish, acting_user=cast.wisher_user, feedback="非常感谢")
    assert (wish.status, wish.confirmed_via, wish.feedback) == ("confirmed", "resident", "非常感谢")
    assert list(wish.events.values_list("action", "from_status", "to_status")) == [
        ("post", "", "submitted"), ("approve", "submitted", "published"), ("claim", "published", "claimed"),
        ("fulfil", "claimed", "fulfilled"), ("confirm", "fulfilled", "confirmed")]
    assert set(AuditEntry.objects.filter(target_type="wishes.wish", target_id=str(wish.pk)).values_list("action", flat=True)) == {
        "wishes.post", "wishes.approve", "wishes.claim", "wishes.fulfil", "wishes.confirm"}


# Illegal transitions -----------------------------------------------------------------------------

@pytest.mark.parametrize("status, action", [
    ("submitted", "claim"), ("submitted", "fulfil"), ("submitted", "confirm"), ("submitted", "release"),
    ("published", "approve"), ("published", "reject"), ("published", "fulfil"), ("published", "confirm"), ("published", "release"),
    ("claimed", "approve"), ("claimed", "confirm"), ("claimed", "withdraw"), ("claimed", "claim"),
    ("fulfilled", "claim"), ("fulfilled", "release"), ("fulfilled", "fulfil"), ("fulfilled", "withdraw"),
    ("confirmed", "confirm"), ("confirmed", "release"), ("rejected", "approve"), ("rejected", "claim"), ("withdrawn", "approve"),
    ("withdrawn", "withdraw"),
])
def test_illegal_transitions_raise_and_change_nothing(cast, users, status, action):
    wish = Wish.objects.create(region=cast.wisher.region, person=cast.wisher, title="测试", status=status, posted_at=timezone.now())
    if status in ("claimed", "fulfilled", "confirmed"):
        Wish.objects.filter(pk=wish.pk).update(claimant_kind="party_member", claimant_person=cast.member)
    community = users["community"]
    steps = {
        "approve": lambda: services.approve_wish(wish, acting_user=community),
        "reject": lambda: services.reject_wish(wish, acting_user=community, reason="不属于微心愿"),
        "claim": lambda: services.claim_wish(wish, acting_user=cast.member_user),
        "release": lambda: services.release_wish(wish, acting_user=community),
        "fulfil": lambda: services.fulfil_wish(wish, acting_user=community, photos=[png_upload()]),
        "confirm": lambda: services.confirm_wish(wish, acting_user=cast.wisher_user),
        "withdraw": lambda: services.withdraw_wish(wish, acting_user=cast.wisher_user),
    }
    with pytest.raises(services.WishStateError) as caught:
        steps[action]()
    assert "status" in caught.value.message_dict
    wish.refresh_from_db()
    assert wish.status == status
    assert not WishEvent.objects.filter(wish=wish).exists() and not WishPhoto.objects.filter(wish=wish).exists()


def test_claiming_a_claimed_wish_says_someone_else_was_first(published, cast):
    services.claim_wish(published, acting_user=cast.volunteer_user)
    with pytest.raises(services.AlreadyClaimed) as caught:
        services.claim_wish(published, acting_user=cast.member_user)
    assert caught.value.message_dict == {"status": ["该心愿已被其他人认领，请选择其他心愿"]}


# Posting -----------------------------------------------------------------------------------------

def test_resident_without_person_is_told_to_register(users):
    with pytest.raises(ValidationError) as caught:
        services.post_wish(acting_user=users["resident"], title="想要一个助行器")
    assert caught.value.message_dict == {"person": ["请先到社区登记本人信息"]}
    assert not Wish.objects.exists()


def test_resident_cannot_post_for_someone_else(cast):
    with pytest.raises(PermissionDenied):
        services.post_wish(acting_user=cast.wisher_user, title="替邻居许愿", person=cast.neighbour)


def test_staff_post_for_a_named_person_in_scope_only(cast, users, tree):
    wish = services.post_wish(acting_user=users["worker_b"], title="想要一副老花镜", person=cast.neighbour)
    assert (wish.person, wish.posted_via, wish.posted_by) == (cast.neighbour, "staff", users["worker_b"])
    with pytest.raises(PermissionDenied):
        services.post_wish(acting_user=users["worker_a"], title="想要一副老花镜", person=cast.neighbour)
    with pytest.raises(ValidationError) as caught:
        services.post_wish(acting_user=users["community"], title="想要一副老花镜")
    assert "person" in caught.value.message_dict


@pytest.mark.parametrize("title, field", [("", "title"), ("   ", "title"), ("愿" * 101, "title")])
def test_bad_post_names_the_field(cast, title, field):
    with pytest.raises(ValidationError) as caught:
        services.post_wish(acting_user=cast.wisher_user, title=title)
    assert field in caught.value.message_dict
    assert not Wish.objects.exists()


def test_unknown_category_is_refused(cast):
    with pytest.raises(ValidationError) as caught:
        services.post_wish(acting_user=cast.wisher_user, title="想要书", category="car")
    assert "category" in caught.value.message_dict


def test_at_most_three_open_wishes_per_person(cast):
    for n in range(services.MAX_OPEN_WISHES_PER_PERSON):
        services.post_wish(acting_user=cast.wisher_user, title=f"心愿{n}")
    with pytest.raises(ValidationError) as caught:
        services.post_wish(acting_user=cast.wisher_user, title="第四个")
    assert "title" in caught.value.message_dict
    services.withdraw_wish(Wish.objects.first(), acting_user=cast.wisher_user)
    services.post_wish(acting_user=cast.wisher_user, title="撤回一个后可以再提交")


# Review ------------------------------------------------------------------------------------------

def test_reject_needs_a_reason_and_keeps_it(posted, users):
    with pytest.raises(ValidationError) as caught:
        services.reject_wish(posted, acting_user=users["community"], reason=" ")
    assert "reason" in caught.value.message_dict
    wish = services.reject_wish(posted, acting_user=users["community"], reason="属于低保救助范围，已转民政办理")
    assert (wish.status, wish.reject_reason) == ("rejected", "属于低保救助范围，已转民政办理")


def test_grid_worker_and_outsiders_do_not_review(posted, users):
    for who in ("worker_a", "department", "resident"):
        with pytest.raises(PermissionDenied):
            services.approve_wish(posted, acting_user=users[who])
    other = users["street"].__class__.objects.create_user(username="hanfeng", password="x", role="community", scope_region=None)
    with pytest.raises(PermissionDenied):
        services.approve_wish(posted, acting_user=other)
    services.approve_wish(posted, acting_user=users["street"])


def test_deadline_in_the_past_is_refused(posted, users):
    with pytest.raises(ValidationError) as caught:
        services.approve_wish(posted, acting_user=users["community"], deadline=timezone.localdate() - timedelta(days=1))
    assert "deadline" in caught.value.message_dict
    posted.refresh_from_db()
    assert posted.status == "submitted"


def test_review_wish_needs_a_decision(posted, users):
    with pytest.raises(ValidationError) as caught:
        services.review_wish(posted, acting_user=users["community"], decision="maybe")
    assert "decision" in caught.value.message_dict


# Claim -------------------------------------------------------------------------------------------

def test_volunteer_and_alliance_unit_claim(published, cast, users):
    wish = services.claim_wish(published, acting_user=cast.unit_user)
    assert (wish.claimant_kind, wish.claimant_unit, wish.claimant_person) == ("alliance_unit", cast.unit, None)
    services.release_wish(wish, acting_user=cast.unit_user, note="本周人手不足")
    wish = services.claim_wish(published, acting_user=cast.volunteer_user)
    assert (wish.claimant_kind, wish.claimant_person) == ("volunteer", cast.volunteer)


def test_staff_dispatch_on_behalf_of_a_unit_or_member(published, cast, users):
    wish = services.claim_wish(published, acting_user=users["community"], unit=cast.unit)
    assert (wish.claimant_unit, wish.claimed_by) == (cast.unit, users["community"])
    assert "社区派单" in wish.events.get(action="claim").note
    services.release_wish(wish, acting_user=users["community"])
    with pytest.raises(ValidationError) as caught:
        services.claim_wish(published, acting_user=users["community"], person=cast.neighbour)
    assert "person" in caught.value.message_dict
    # A resident cannot dispatch to someone else.
    with pytest.raises(PermissionDenied):
        services.claim_wish(published, acting_user=cast.wisher_user, person=cast.member)
    wish = services.claim_wish(published, acting_user=users["community"], person=cast.member)
    assert (wish.claimant_kind, wish.claimant_person) == ("party_member", cast.member)


def test_not_a_claimant_cannot_claim(published, cast, users):
    with pytest.raises(PermissionDenied):
        services.claim_wish(published, acting_user=users["department"])
    with pytest.raises(ValidationError) as caught:
        services.claim_wish(published, acting_user=users["resident"])
    assert caught.value.message_dict == {"person": ["请先到社区登记本人信息"]}


def test_party_member_of_another_street_cannot_claim(published, cast):
    with pytest.raises(PermissionDenied):
        services.claim_wish(published, acting_user=cast.far_member_user)
    published.refresh_from_db()
    assert published.status == "published"


def test_own_wish_cannot_be_claimed(cast, users):
    from yiwang.party.models import PartyMember, PartyOrganization

    organization = PartyOrganization.objects.create(region=cast.wisher.region, kind="grid_branch", name="支部")
    PartyMember.objects.create(person=cast.wisher, organization=organization)
    wish = services.approve_wish(services.post_wish(acting_user=cast.wisher_user, title="自己的心愿"), acting_user=users["community"])
    with pytest.raises(ValidationError) as caught:
        services.claim_wish(wish, acting_user=cast.wisher_user)
    assert "claimant" in caught.value.message_dict


def test_claim_after_deadline_is_refused(published, cast):
    Wish.objects.filter(pk=published.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ValidationError) as caught:
        services.claim_wish(published, acting_user=cast.member_user)
    assert "deadline" in caught.value.message_dict


def test_several_identities_pick_the_kind(published, cast):
    from yiwang.forces.models import ForceMember

    ForceMember.objects.create(name=cast.member.name, role="volunteer", region=cast.member.region, person=cast.member)
    kinds = [c.kind for c in claimants.claimant_identities(cast.member_user)]
    assert kinds == ["party_member", "volunteer"]
    wish = services.claim_wish(published, acting_user=cast.member_user, kind="volunteer")
    assert wish.claimant_kind == "volunteer"


# Give back, fulfil, confirm, withdraw ------------------------------------------------------------

def test_give_back_reopens_and_keeps_who_gave_it_back(published, cast, users):
    services.claim_wish(published, acting_user=cast.member_user)
    with pytest.raises(PermissionDenied):
        services.release_wish(published, acting_user=cast.volunteer_user)
    wish = services.release_wish(published, acting_user=cast.member_user, note="临时出差")
    assert (wish.status, wish.claimant_kind, wish.claimant_person, wish.claimed_at) == ("published", "", None, None)
    assert wish.events.get(action="release").note == "李建国(党员)退回：临时出差"
    services.claim_wish(wish, acting_user=cast.volunteer_user)


def test_fulfil_needs_a_real_photo_and_the_claimant(published, cast):
    services.claim_wish(published, acting_user=cast.member_user)
    with pytest.raises(ValidationError) as caught:
        services.fulfil_wish(published, acting_user=cast.member_user, photos=[])
    assert "photos" in caught.value.message_dict
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError) as caught:
        services.fulfil_wish(published, acting_user=cast.member_user, photos=[SimpleUploadedFile("x.png", b"not an image")])
    assert "photos" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.fulfil_wish(published, acting_user=cast.volunteer_user, photos=[png_upload()])
    published.refresh_from_db()
    assert published.status == "claimed" and not published.photos.exists()


def test_only_the_wisher_confirms_when_they_have_an_account(published, cast, users):
    services.claim_wish(published, acting_user=cast.member_user)
    services.fulfil_wish(published, acting_user=cast.member_user, photos=[png_upload()])
    for who in (cast.member_user, users["community"]):
        with pytest.raises(PermissionDenied):
            services.confirm_wish(published, acting_user=who)
    assert services.confirm_wish(published, acting_user=cast.wisher_user).confirmed_via == "resident"


def test_community_confirms_for_a_wisher_without_account_recorded_as_such(cast, users):
    wish = services.post_wish(acting_user=users["community"], title="想要一台收音机", person=cast.neighbour)
    services.approve_wish(wish, acting_user=users["community"])
    services.claim_wish(wish, acting_user=cast.unit_user)
    services.fulfil_wish(wish, acting_user=cast.unit_user, photos=[png_upload()], note="已送上门")
    with pytest.raises(PermissionDenied):
        services.confirm_wish(wish, acting_user=users["worker_a"])  # grid A is not the neighbour's grid
    wish = services.confirm_wish(wish, acting_user=users["worker_b"], feedback="电话回访满意")
    assert (wish.status, wish.confirmed_via, wish.confirmed_by) == ("confirmed", "staff_for_resident", users["worker_b"])
    assert wish.events.get(action="confirm").note == "社区代无账号居民确认：电话回访满意"


def test_withdraw_before_claim_only(published, posted, cast, users):
    with pytest.raises(PermissionDenied):
        services.withdraw_wish(published, acting_user=cast.member_user)
    services.claim_wish(published, acting_user=cast.member_user)
    with pytest.raises(services.WishStateError) as caught:
        services.withdraw_wish(published, acting_user=cast.wisher_user)
    assert "已被认领" in caught.value.message_dict["status"][0]
    services.release_wish(published, acting_user=cast.member_user)
    assert services.withdraw_wish(published, acting_user=cast.wisher_user).status == "withdrawn"


# Counts ------------------------------------------------------------------------------------------

def _fulfilled(cast, users, *, claimant, title: str):
    wish = services.post_wish(acting_user=users["community"], title=title, person=cast.neighbour)
    services.approve_wish(wish, acting_user=users["community"])
    services.claim_wish(wish, acting_user=claimant)
    return services.fulfil_wish(wish, acting_user=claimant, photos=[png_upload()])


def test_counts_by_claimant_contract(cast, users, tree):
    now = timezone.now()
    _fulfilled(cast, users, claimant=cast.member_user, title="一")
    _fulfilled(cast, users, claimant=cast.member_user, title="二")
    third = _fulfilled(cast, users, claimant=cast.unit_user, title="三")
    services.confirm_wish(third, acting_user=users["community"])
    services.claim_wish(services.approve_wish(services.post_wish(acting_user=cast.wisher_user, title="未完成"), acting_user=users["community"]),
                        acting_user=cast.volunteer_user)
    later = timezone.now() + timedelta(seconds=1)
    assert selectors.counts_by_claimant(region_path=tree.community.path, since=now - timedelta(minutes=1), until=later) == {
        ("party_member", cast.member.pk): 2, ("alliance_unit", cast.unit.pk): 1}
    assert selectors.counts_by_claimant(region_path=tree.grid_a.path, since=now - timedelta(minutes=1), until=later) == {}
    assert selectors.counts_by_claimant(region_path=tree.community.path, since=later, until=later + timedelta(days=1)) == {}


def test_counts_by_community(cast, users, tree):
    _fulfilled(cast, users, claimant=cast.member_user, title="一")
    services.post_wish(acting_user=cast.wisher_user, title="待审核")
    rows = selectors.counts_by_community(Wish.objects.all())
    assert len(rows) == 1
    row = rows[0]
    assert (row["community"], row["total"], row["submitted"], row["fulfilled"], row["done"]) == (tree.community, 2, 1, 1, 1)
    by_claimant = selectors.counts_by_claimant_rows(Wish.objects.all())
    assert [(r["kind"], r["name"], r["fulfilled"]) for r in by_claimant] == [("party_member", "李建国", 1)]


# What residents see ------------------------------------------------------------------------------

def test_resident_sees_own_and_community_wishes_not_other_streets(published, cast, users, tree):
    from tests import factories

    far = factories.person(tree.other_street)
    Wish.objects.create(region=tree.other_street, person=far, title="别处的心愿", status="published", posted_at=timezone.now())
    waiting = services.post_wish(acting_user=users["community"], title="还没审核", person=cast.neighbour)
    neighbour_view = selectors.community_wishes(cast.member_user)
    assert list(neighbour_view) == [published]
    assert waiting not in selectors.visible_to(cast.member_user)
    assert [w.title for w in selectors.claimable(claimants.claimant_identities(cast.member_user))] == [published.title]
    assert list(selectors.claimable(claimants.claimant_identities(cast.far_member_user))) == [Wish.objects.get(title="别处的心愿")]
    assert list(selectors.own_wishes(cast.wisher_user)) == [published]
    assert not selectors.visible_to(users["resident"]).exists()
    assert published.person_masked == "王**"


def test_a_volunteer_on_the_communitys_register_may_claim(published, tree, make_user):
    """Volunteers registered in yiwang.volunteers (not only forces' volunteer roster) claim too."""
    from django.utils import timezone

    from tests import factories
    from yiwang.volunteers.models import Volunteer

    helper = factories.person(tree.micro_b1)
    account = make_user("registered_volunteer", "resident", None, person=helper)
    with pytest.raises((ValidationError, PermissionDenied)):
        services.claim_wish(published, acting_user=account)
    Volunteer.objects.create(person=helper, region=tree.micro_b1, community=tree.community, registered_at=timezone.now())
    claimed = services.claim_wish(published, acting_user=account)
    assert claimed.claimant_person == helper and claimed.claimant_kind == "volunteer"
