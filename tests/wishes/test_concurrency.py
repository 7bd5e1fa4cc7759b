"""Two claimants clicking 认领 at the same moment, on real connections: exactly one wins, the
other is told someone else was first, and the wish names one claimant with one claim event."""

from __future__ import annotations

import pytest

from tests.concurrency import race
from yiwang.wishes import services
from yiwang.wishes.models import Wish


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_claim_at_once_one_wins(published, cast):
    claimants = [cast.member_user, cast.volunteer_user, cast.unit_user]
    results = race([lambda user=user: services.claim_wish(published.pk, acting_user=user) for user in claimants], expect=services.AlreadyClaimed)
    outcomes = {user.username: r.message_dict["status"][0] if isinstance(r, services.AlreadyClaimed) else "won"
                for user, r in zip(claimants, results, strict=True)}
    assert sorted(outcomes.values()).count("won") == 1, outcomes
    assert sorted(o for o in outcomes.values() if o != "won") == ["该心愿已被其他人认领，请选择其他心愿"] * 2
    winner = next(name for name, outcome in outcomes.items() if outcome == "won")
    wish = Wish.objects.get(pk=published.pk)
    expected = {"member": ("party_member", cast.member.pk), "volunteer": ("volunteer", cast.volunteer.pk), "ally": ("alliance_unit", cast.unit.pk)}
    assert (wish.status, wish.claimant_kind, wish.claimant_unit_id or wish.claimant_person_id) == ("claimed", *expected[winner])
    assert wish.events.filter(action="claim").count() == 1
