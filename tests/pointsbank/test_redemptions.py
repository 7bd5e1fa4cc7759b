"""Rewards, redemption, hand-over and cancellation; conduct records and the red/black lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests import factories
from yiwang.pointsbank import selectors, services
from yiwang.pointsbank.models import BoardStatus, LedgerEntry, Reward

pytestmark = pytest.mark.django_db


def _grant(person, users, points=30):
    return services.grant_points(bank_code="moral", person=person, points=points, reason="累计", acting_user=users["worker_a"])


def test_redeem_debits_points_and_stock_together(users, person_a, resident_a, reward):
    _grant(person_a, users)
    redemption = services.redeem(reward=reward, person=person_a, acting_user=resident_a, quantity=2)
    reward.refresh_from_db()
    assert reward.stock == 1 and redemption.points == 20 and redemption.status == "pending"
    assert selectors.balance(bank_code="moral", person=person_a) == 10
    debit = redemption.entries.get()
    assert debit.kind == "redeem" and debit.points == -20 and debit.granted_by == resident_a


def test_redeem_refusals_name_the_field_and_change_nothing(users, person_a, resident_a, reward):
    _grant(person_a, users, points=15)
    with pytest.raises(ValidationError) as caught:
        services.redeem(reward=reward, person=person_a, acting_user=resident_a, quantity=2)
    assert "积分不足" in caught.value.message_dict["points"][0]
    _grant(person_a, users, points=100)
    with pytest.raises(ValidationError) as caught:
        services.redeem(reward=reward, person=person_a, acting_user=resident_a, quantity=4)
    assert "库存不足" in caught.value.message_dict["stock"][0]
    reward.refresh_from_db()
    assert reward.stock == 3 and not LedgerEntry.objects.filter(kind="redeem").exists()
    Reward.objects.filter(pk=reward.pk).update(active=False)
    with pytest.raises(ValidationError) as caught:
        services.redeem(reward=reward, person=person_a, acting_user=resident_a)
    assert "reward" in caught.value.message_dict


def test_a_reward_stocked_elsewhere_is_not_offered(users, tree, person_a, resident_a, moral):
    elsewhere = Reward.objects.create(bank=moral, region=tree.other_street, name="汉丰奖品", points_cost=1, stock=5)
    _grant(person_a, users)
    assert elsewhere not in selectors.rewards_for(person_a)
    with pytest.raises(ValidationError):
        services.redeem(reward=elsewhere, person=person_a, acting_user=resident_a)


def test_residents_redeem_only_for_themselves(users, person_a, person_b, make_user, reward):
    _grant(person_a, users)
    other = make_user("resident_b", "resident", None, person=person_b)
    with pytest.raises(PermissionDenied):
        services.redeem(reward=reward, person=person_a, acting_user=other)


def test_fulfil_and_cancel(users, person_a, resident_a, reward):
    _grant(person_a, users)
    first = services.redeem(reward=reward, person=person_a, acting_user=resident_a)
    second = services.redeem(reward=reward, person=person_a, acting_user=resident_a)
    services.fulfil_redemption(redemption=first, acting_user=users["worker_a"], note="已当面交付")
    with pytest.raises(ValidationError) as caught:
        services.cancel_redemption(redemption=first, acting_user=resident_a)
    assert "status" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.fulfil_redemption(redemption=second, acting_user=resident_a)
    cancelled = services.cancel_redemption(redemption=second, acting_user=resident_a, reason="不需要了")
    assert cancelled.status == "cancelled"
    reward.refresh_from_db()
    assert reward.stock == 2
    assert selectors.balance(bank_code="moral", person=person_a) == 20
    refund = LedgerEntry.objects.get(kind="refund")
    assert refund.points == 10 and refund.redemption == second
    with pytest.raises(ValidationError):
        services.cancel_redemption(redemption=second, acting_user=resident_a)


def test_stock_adjustment_never_negative(users, tree, moral):
    reward = services.create_reward(bank=moral, region=tree.community, name="环保袋", points_cost=5, stock=2, acting_user=users["community"])
    with pytest.raises(ValidationError) as caught:
        services.adjust_stock(reward=reward, delta=-3, acting_user=users["community"])
    assert "delta" in caught.value.message_dict
    assert services.adjust_stock(reward=reward, delta=8, acting_user=users["community"]).stock == 10
    with pytest.raises(PermissionDenied):
        services.create_reward(bank=moral, region=tree.community, name="x", points_cost=5, stock=1, acting_user=users["worker_a"])
    with pytest.raises(ValidationError) as caught:
        services.create_reward(bank=moral, region=tree.community, name="", points_cost=0, stock=-1, acting_user=users["community"])
    assert set(caught.value.message_dict) == {"name", "points_cost", "stock"}


def test_rule_config_by_district_only_for_district_wide_banks(users, moral):
    lecture = moral.rules.get(code="xs_lecture")
    with pytest.raises(PermissionDenied):
        services.save_rule(bank=moral, acting_user=users["community"], code="xs_lecture", title="讲堂", points=3,
                           dimension=lecture.dimension, evidence_required=False, rule=lecture)
    changed = services.save_rule(bank=moral, acting_user=users["district"], code="xs_lecture", title="参加道德讲堂", points=3,
                                 dimension=lecture.dimension, evidence_required=False, rule=lecture)
    assert changed.points == 3
    with pytest.raises(ValidationError) as caught:
        services.save_rule(bank=moral, acting_user=users["district"], code="xs_lecture", title="重复", points=1,
                           dimension=lecture.dimension, evidence_required=False)
    assert "code" in caught.value.message_dict


def test_board_drafts_from_records_and_publishes_to_the_community(users, tree, person_a, person_b):
    _grant(person_a, users, points=30)
    _grant(person_b, users, points=12)
    services.record_conduct(person=person_b, occurred_on=timezone.localdate(), description="高空抛物", acting_user=users["worker_b"])
    today = timezone.localdate()
    board = services.draft_board(region=tree.community, period_start=today - timedelta(days=30), period_end=today,
                                 acting_user=users["community"])
    red = list(board.entries.filter(kind="red").values_list("person__name", "points"))
    black = list(board.entries.filter(kind="black").values_list("person__name", "reason"))
    assert red == [("张秀英", 30), ("李建国", 12)]
    assert len(black) == 1 and black[0][0] == "李建国" and "高空抛物" in black[0][1]
    # Drafts are never shown to residents.
    assert not selectors.published_boards_for(person_a).exists()
    services.publish_board(board=board, acting_user=users["community"])
    assert list(selectors.published_boards_for(person_a)) == [board]
    board.refresh_from_db()
    assert board.status == BoardStatus.PUBLISHED
    with pytest.raises(ValidationError) as caught:
        services.add_board_entry(board=board, kind="red", person=person_a, reason="x", acting_user=users["community"])
    assert "board" in caught.value.message_dict
    # Residents of another community do not see it.
    outsider = factories.person(tree.other_street)
    assert not selectors.published_boards_for(outsider).exists()


def test_board_rules(users, tree, person_a):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as caught:
        services.draft_board(region=tree.grid_a, period_start=today, period_end=today - timedelta(days=1), acting_user=users["community"])
    assert {"region", "period_end"} <= set(caught.value.message_dict)
    board = services.draft_board(region=tree.community, period_start=today, period_end=today, acting_user=users["community"])
    with pytest.raises(ValidationError):
        services.publish_board(board=board, acting_user=users["community"])
    outsider = factories.person(tree.other_street)
    with pytest.raises(ValidationError) as caught:
        services.add_board_entry(board=board, kind="red", person=outsider, reason="好人好事", acting_user=users["community"])
    assert "person" in caught.value.message_dict
    entry = services.add_board_entry(board=board, kind="red", person=person_a, reason="照顾孤寡老人", acting_user=users["community"])
    with pytest.raises(PermissionDenied):
        services.publish_board(board=board, acting_user=users["worker_a"])
    services.remove_board_entry(entry=entry, acting_user=users["community"])
    assert not board.entries.exists()
