"""Grid forces and duty rosters kept by a local admin: services with scope checks and audit, and the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests import factories
from yiwang.core.models import AuditEntry
from yiwang.forces import services
from yiwang.forces.models import Assignment, DutyShift, ForceMember

pytestmark = pytest.mark.django_db


def test_member_added_from_a_grid_is_kept_by_the_community_and_put_on_the_grid(users, tree):
    member = services.add_member(acting_user=users["community"], region=tree.grid_a, name="赵楼长", role="building_head",
                                 phone="13800138000")
    assert member.region == tree.community and member.phone_masked.startswith("138")
    assignment = Assignment.objects.get(member=member)
    assert (assignment.grid, assignment.role, assignment.starts_on) == (tree.grid_a, "building_head", timezone.localdate())
    entries = AuditEntry.objects.filter(action__in=["forces.add_member", "forces.assign"])
    assert entries.count() == 2 and all(e.detail["region_path"].startswith(tree.community.path) for e in entries)


def test_bad_member_input_names_the_field(users, tree):
    with pytest.raises(ValidationError) as refused:
        services.add_member(acting_user=users["community"], region=tree.grid_a, name="", role="nonsense", phone="12345")
    assert set(refused.value.message_dict) == {"name", "role", "phone"}
    assert not ForceMember.objects.exists()


def test_scope_is_checked(users, tree):
    with pytest.raises(PermissionDenied):
        services.add_member(acting_user=users["worker_a"], region=tree.grid_a, name="甲", role="volunteer")
    with pytest.raises(PermissionDenied):
        services.add_member(acting_user=users["community"], region=tree.other_street, name="乙", role="volunteer")
    foreign = ForceMember.objects.create(region=tree.other_street, name="外街道", role="volunteer")
    with pytest.raises(ValidationError) as refused:
        services.assign_member(acting_user=users["community"], member=foreign, grid=tree.grid_a, role="volunteer",
                               starts_on=timezone.localdate())
    assert "member" in refused.value.message_dict


def test_assign_then_remove(users, tree):
    member = factories.forcemember(tree.community)
    today = timezone.localdate()
    assignment = services.assign_member(acting_user=users["community"], member=member, grid=tree.grid_b, role="police", starts_on=today)
    with pytest.raises(ValidationError) as refused:
        services.assign_member(acting_user=users["community"], member=member, grid=tree.grid_b, role="police", starts_on=today)
    assert "member" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.assign_member(acting_user=users["community"], member=member, grid=tree.community, role="police", starts_on=today)
    assert "grid" in refused.value.message_dict
    services.remove_assignment(acting_user=users["community"], assignment=assignment)
    assert not Assignment.objects.filter(pk=assignment.pk).exists()
    old = Assignment.objects.create(member=member, grid=tree.grid_a, role="police", starts_on=today - timedelta(days=10))
    services.remove_assignment(acting_user=users["community"], assignment=old)
    old.refresh_from_db()
    assert old.ends_on == today - timedelta(days=1)


def test_shifts_refuse_overlaps_and_backwards_times(users, tree):
    member = factories.forcemember(tree.community)
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    shift = services.add_shift(acting_user=users["community"], region=tree.community, member=member, starts_at=start,
                               ends_at=start + timedelta(hours=8), note="夜班")
    with pytest.raises(ValidationError) as refused:
        services.add_shift(acting_user=users["community"], region=tree.grid_a, member=member, starts_at=start + timedelta(hours=2),
                           ends_at=start + timedelta(hours=4))
    assert "重叠" in refused.value.message_dict["starts_at"][0]
    with pytest.raises(ValidationError) as refused:
        services.add_shift(acting_user=users["community"], region=tree.grid_a, member=member, starts_at=start,
                           ends_at=start - timedelta(hours=1))
    assert "ends_at" in refused.value.message_dict
    services.remove_shift(acting_user=users["community"], shift=shift)
    assert not DutyShift.objects.exists()
    assert AuditEntry.objects.filter(action="forces.remove_shift", detail__region_path=tree.community.path).exists()


# --- pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["worker_a", "department", "resident"])
def test_other_roles_get_403(client, users, tree, role):
    client.force_login(users[role])
    assert client.get("/forces/").status_code == 403
    assert client.get(f"/forces/{tree.grid_a.code}/").status_code == 403
    assert client.post(f"/forces/{tree.grid_a.code}/members/", {"name": "甲", "role": "volunteer"}).status_code == 403
    assert not ForceMember.objects.exists()


def test_a_unit_outside_the_scope_is_404(client, users, tree):
    client.force_login(users["community"])
    assert client.get(f"/forces/{tree.other_street.code}/").status_code == 404
    assert client.get(f"/forces/{tree.street.code}/").status_code == 404


def test_grid_page_adds_assigns_and_rosters(client, users, tree):
    client.force_login(users["community"])
    url = f"/forces/{tree.grid_a.code}/"
    assert tree.grid_a.name in client.get("/forces/").content.decode()
    response = client.post(url + "members/", {"name": "钱民警", "role": "police", "phone": "13800138001", "unit": "派出所"})
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url).content.decode()
    assert "钱民警" in page and "社区民警" in page
    member = ForceMember.objects.get(name="钱民警")
    start = timezone.localtime() + timedelta(days=1)
    response = client.post(url + "shifts/", {"member": member.pk, "starts_at": start.strftime("%Y-%m-%dT09:00"),
                                             "ends_at": start.strftime("%Y-%m-%dT08:00"), "note": ""})
    assert response.status_code == 400 and 'data-field="ends_at"' in response.content.decode()
    response = client.post(url + "shifts/", {"member": member.pk, "starts_at": start.strftime("%Y-%m-%dT09:00"),
                                             "ends_at": start.strftime("%Y-%m-%dT17:00"), "note": "白班"})
    assert response.status_code == 302
    assert "白班" in client.get(url).content.decode()
    shift = DutyShift.objects.get()
    assert client.post(f"{url}shifts/{shift.pk}/remove/").status_code == 302
    assignment = Assignment.objects.get(member=member)
    assert client.post(f"{url}assignments/{assignment.pk}/remove/").status_code == 302
    assert not DutyShift.objects.exists() and not Assignment.objects.exists()


def test_bad_page_input_names_the_field(client, users, tree):
    client.force_login(users["community"])
    response = client.post(f"/forces/{tree.grid_a.code}/assignments/", {"member": "99999", "role": "police", "starts_on": "x"})
    page = response.content.decode()
    assert response.status_code == 400 and 'data-field="member"' in page and 'data-field="starts_on"' in page
