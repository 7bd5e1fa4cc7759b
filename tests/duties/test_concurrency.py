"""Two district users approve two proposals based on the same version at the same moment, on
real connections: exactly one lands, the other is refused as based on an outdated version."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from yiwang.duties import services
from yiwang.duties.models import DutyList, DutyListVersion, VersionStatus


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_approvals_on_the_same_base_cannot_both_land(tree, users, make_user):
    from yiwang.matters import catalogue

    catalogue.ensure()  # transactional tests may start without the seeded catalogue
    duty_list = services.create_list(region=tree.street, kind="street_statutory", acting_user=None,
                                     rows=[{"key": "FD-001", "title": "负责辖区矛盾纠纷排查调处"}])
    first = services.propose_change(duty_list, acting_user=users["street"], reason="甲",
                                    changes=[{"op": "add", "key": "FD-002", "title": "负责辖区消防安全检查"}])
    second = services.propose_change(duty_list, acting_user=users["street"], reason="乙",
                                     changes=[{"op": "remove", "key": "FD-001"}])
    approvers = [users["district"], make_user("district2", "district", tree.district)]
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(version, user):
        try:
            barrier.wait()
            services.approve_version(version, acting_user=user, note="并发")
            outcomes.append(("approved", version.number))
        except ValidationError as exc:
            outcomes.append(("refused", exc.message_dict.get("based_on", exc.messages)[0]))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(v, u)) for v, u in zip((first, second), approvers, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(o[0] for o in outcomes) == ["approved", "refused"], outcomes
    winner = next(number for outcome, number in outcomes if outcome == "approved")
    refusal = next(reason for outcome, reason in outcomes if outcome == "refused")
    assert "基于第1版" in refusal and f"第{winner}版" in refusal
    duty_list = DutyList.objects.get(pk=duty_list.pk)
    assert duty_list.current_version.number == winner
    statuses = dict(DutyListVersion.objects.filter(duty_list=duty_list).values_list("number", "status"))
    assert statuses == {1: VersionStatus.SUPERSEDED, winner: VersionStatus.APPROVED, 5 - winner: VersionStatus.PROPOSED}
