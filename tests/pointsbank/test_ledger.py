"""The ledger: grants by rule with evidence, the contract functions, immutability, reversals,
no negative balance (also as a property), and traceability to the granter."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.core.models import AuditEntry
from yiwang.pointsbank import selectors, services
from yiwang.pointsbank.models import Balance, Bank, EntryKind, ImmutableLedger, LedgerEntry, Redemption, Reward

pytestmark = pytest.mark.django_db


def test_seeded_banks_dimensions_and_rules():
    banks = {b.code: b for b in Bank.objects.all()}
    assert {"moral", "volunteer", "party_member"} <= set(banks)
    assert banks["moral"].name == "道德积分银行"
    assert list(banks["moral"].dimensions.values_list("name", flat=True)) == ["修身", "润家", "睦邻", "怡城"]
    for dimension in banks["moral"].dimensions.all():
        assert dimension.rules.count() >= 3
    assert banks["volunteer"].name == "志愿服务积分" and banks["party_member"].name == "党员积分"


def test_grant_by_rule_moves_the_balance_and_names_the_granter(users, person_a):
    entry = services.grant_points(bank_code="moral", person=person_a, points=5, reason="", rule_code="ml_mediate",
                                  evidence="调解3栋邻里漏水纠纷，双方签字", acting_user=users["worker_a"], source="test")
    assert entry.granted_by == users["worker_a"]
    assert entry.dimension.name == "睦邻" and entry.reason == "主动调解邻里纠纷" and entry.balance_after == 5
    assert selectors.balance(bank_code="moral", person=person_a) == 5
    assert selectors.balance(bank_code="volunteer", person=person_a) == 0
    assert AuditEntry.objects.filter(action="pointsbank.entry.grant", target_id=str(entry.pk), actor=users["worker_a"]).exists()
    # Several occurrences of a rule at once: 3 hours of volunteer service.
    hours = services.grant_points(bank_code="volunteer", person=person_a, points=30, reason="敬老院服务3小时", rule_code="vs_hour",
                                  acting_user=users["worker_a"])
    assert hours.points == 30 and selectors.balance(bank_code="volunteer", person=person_a) == 30


@pytest.mark.parametrize("kwargs, field", [
    ({"bank_code": "nope"}, "bank_code"),
    ({"rule_code": "nope"}, "rule_code"),
    ({"rule_code": "xs_brave", "points": 5, "evidence": "x"}, "points"),
    ({"rule_code": "xs_brave", "points": 30}, "evidence"),
    ({"points": 0}, "points"),
    ({"points": -1}, "points"),
    ({"reason": ""}, "reason"),
    ({"acting_user": None}, "acting_user"),
])
def test_bad_grants_name_the_field_and_keep_nothing(users, person_a, kwargs, field):
    args = {"bank_code": "moral", "person": person_a, "points": 2, "reason": "参加讲堂", "acting_user": users["worker_a"]} | kwargs
    with pytest.raises(ValidationError) as caught:
        services.grant_points(**args)
    assert field in caught.value.message_dict
    assert not LedgerEntry.objects.exists() and selectors.balance(bank_code="moral", person=person_a) == 0


def test_inactive_bank_and_rule_are_refused(users, person_a):
    Bank.objects.filter(code="party_member").update(active=False)
    with pytest.raises(ValidationError) as caught:
        services.grant_points(bank_code="party_member", person=person_a, points=2, reason="x", acting_user=users["worker_a"])
    assert "停用" in caught.value.message_dict["bank_code"][0]


def test_a_community_bank_serves_only_its_community(users, tree, person_a, make_user):
    from tests import factories

    Bank.objects.create(code="yongxian", name="永先社区积分", region=tree.community)
    outsider = factories.person(tree.other_street)
    with pytest.raises(ValidationError) as caught:
        services.grant_points(bank_code="yongxian", person=outsider, points=1, reason="x", acting_user=users["district"])
    assert "person" in caught.value.message_dict
    services.grant_points(bank_code="yongxian", person=person_a, points=1, reason="x", acting_user=users["district"])


def test_deduction_cannot_take_the_balance_below_zero(users, person_a):
    services.grant_points(bank_code="moral", person=person_a, points=2, reason="讲堂", rule_code="xs_lecture", acting_user=users["worker_a"])
    with pytest.raises(ValidationError) as caught:
        services.grant_points(bank_code="moral", person=person_a, points=-5, reason="高空抛物", rule_code="yc_litter",
                              evidence="监控截图", acting_user=users["worker_a"])
    assert "余额不足" in caught.value.message_dict["points"][0]
    assert selectors.balance(bank_code="moral", person=person_a) == 2 and LedgerEntry.objects.count() == 1


def test_entries_are_never_updated_or_deleted(users, person_a):
    entry = services.grant_points(bank_code="moral", person=person_a, points=2, reason="讲堂", acting_user=users["worker_a"])
    entry.points = 200
    with pytest.raises(ImmutableLedger):
        entry.save()
    with pytest.raises(ImmutableLedger):
        entry.delete()
    with pytest.raises(ImmutableLedger):
        LedgerEntry.objects.filter(pk=entry.pk).update(points=200)
    with pytest.raises(ImmutableLedger):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get(pk=entry.pk).points == 2


def test_reversal_names_the_entry_and_only_once(users, person_a):
    entry = services.grant_points(bank_code="moral", person=person_a, points=10, reason="拾金不昧", rule_code="xs_honest",
                                  evidence="失主证明", acting_user=users["worker_a"])
    reversal = services.reverse_entry(entry=entry, reason="核实为误记", acting_user=users["community"])
    assert reversal.reverses == entry and reversal.points == -10 and reversal.kind == EntryKind.REVERSAL
    assert reversal.granted_by == users["community"]
    assert selectors.balance(bank_code="moral", person=person_a) == 0
    with pytest.raises(ValidationError) as caught:
        services.reverse_entry(entry=entry, reason="again", acting_user=users["community"])
    assert "entry" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.reverse_entry(entry=reversal, reason="x", acting_user=users["community"])


def test_reversal_refused_when_the_points_are_spent(users, person_a, reward):
    entry = services.grant_points(bank_code="moral", person=person_a, points=10, reason="拾金不昧", rule_code="xs_honest",
                                  evidence="失主证明", acting_user=users["worker_a"])
    services.redeem(reward=reward, person=person_a, acting_user=users["worker_a"])
    with pytest.raises(ValidationError) as caught:
        services.reverse_entry(entry=entry, reason="误记", acting_user=users["community"])
    assert "余额不足" in caught.value.message_dict["entry"][0]
    assert selectors.balance(bank_code="moral", person=person_a) == 0


def test_staff_grant_and_reversal_need_scope(users, person_a, person_b):
    with pytest.raises(PermissionDenied):
        services.grant_for_staff(acting_user=users["worker_b"], person=person_a, bank_code="moral", points=2, reason="x")
    with pytest.raises(PermissionDenied):
        services.grant_for_staff(acting_user=users["department"], person=person_a, bank_code="moral", points=2, reason="x")
    entry = services.grant_for_staff(acting_user=users["worker_a"], person=person_a, bank_code="moral", points=2, reason="x")
    with pytest.raises(PermissionDenied):
        services.reverse_entry(entry=entry, reason="x", acting_user=users["worker_b"])


def test_every_entry_names_its_granter(users, person_a, reward, resident_a):
    services.grant_points(bank_code="moral", person=person_a, points=30, reason="见义勇为", rule_code="xs_brave", evidence="表扬信",
                          acting_user=users["worker_a"])
    redemption = services.redeem(reward=reward, person=person_a, acting_user=resident_a)
    services.cancel_redemption(redemption=redemption, acting_user=users["community"], reason="居民改主意")
    entries = list(LedgerEntry.objects.filter(person=person_a).order_by("id"))
    assert [(e.kind, e.granted_by.username) for e in entries] == [
        ("grant", "worker_a"), ("redeem", "resident_a"), ("refund", "community")]
    field = LedgerEntry._meta.get_field("granted_by")
    assert not field.null


OPERATIONS = st.lists(st.tuples(st.sampled_from(["grant", "deduct", "redeem", "cancel", "reverse"]), st.integers(1, 40)),
                      min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_any_sequence_keeps_balance_equal_to_the_sum_and_never_negative(users, tree, moral, operations):
    from tests import factories

    person = factories.person(tree.micro_a1)
    reward = Reward.objects.create(bank=moral, region=tree.community, name="毛巾", points_cost=7, stock=4)
    actor = users["worker_a"]
    for operation, amount in operations:
        try:
            if operation == "grant":
                services.grant_points(bank_code="moral", person=person, points=amount, reason="加分", acting_user=actor)
            elif operation == "deduct":
                services.grant_points(bank_code="moral", person=person, points=-amount, reason="扣分", acting_user=actor)
            elif operation == "redeem":
                services.redeem(reward=reward, person=person, acting_user=actor, quantity=amount % 3 + 1)
            elif operation == "cancel":
                pending = Redemption.objects.filter(person=person, status="pending").first()
                if pending:
                    services.cancel_redemption(redemption=pending, acting_user=actor)
            else:
                entries = list(LedgerEntry.objects.filter(person=person, kind__in=["grant", "deduct"], reversed_by__isnull=True))
                if entries:
                    services.reverse_entry(entry=entries[amount % len(entries)], reason="冲正", acting_user=actor)
        except ValidationError:
            pass  # refused: nothing may have changed, which the invariants below check
        total = selectors.sum_of_entries(bank_code="moral", person=person)
        current = selectors.balance(bank_code="moral", person=person)
        assert current == total >= 0
        reward.refresh_from_db()
        assert reward.stock >= 0
        held = sum(r.quantity for r in Redemption.objects.filter(reward=reward).exclude(status="cancelled"))
        assert reward.stock + held == 4
        running = 0
        for entry in LedgerEntry.objects.filter(person=person).order_by("id"):
            running += entry.points
            assert entry.balance_after == running >= 0
    assert Balance.objects.filter(person=person, points__lt=0).count() == 0
