"""Ballot rules: who may vote (building, grid, community), when (the window), once, with answers
that fit their questions; results and their math; the half-yearly grid project votes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.votes.conftest import answers_for
from yiwang.core.models import AuditEntry
from yiwang.votes import selectors, services
from yiwang.votes.models import Answer, Ballot, Vote

pytestmark = pytest.mark.django_db


def cast(ballot, who, **answers):
    return services.cast_vote(ballot=ballot, person=who.person, answers=answers_for(ballot, **answers), acting_user=who.user)


def messages(exc) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


# Eligibility -------------------------------------------------------------------------------------

def test_building_ballot_takes_only_that_buildings_residents(make_ballot, people):
    ballot = make_ballot(eligible_building=people.b1)
    cast(ballot, people.zhang)
    cast(ballot, people.li)
    with pytest.raises(ValidationError) as exc:
        cast(ballot, people.wang)  # same grid, other building
    assert "王芳不在本次投票范围（滨湖小区1栋居民）内" in messages(exc)
    assert Vote.objects.filter(ballot=ballot).count() == 2


def test_grid_ballot_takes_the_grids_micro_grids_not_the_neighbour(make_ballot, people, tree):
    ballot = make_ballot(eligible_region=tree.grid_a)
    cast(ballot, people.zhang)
    cast(ballot, people.wang)
    with pytest.raises(ValidationError) as exc:
        cast(ballot, people.zhao)
    assert "赵强不在本次投票范围（永先社区第1网格居民）内" in messages(exc)


def test_community_ballot_takes_both_grids_not_another_street(make_ballot, people):
    ballot = make_ballot()
    cast(ballot, people.zhang)
    cast(ballot, people.zhao)
    with pytest.raises(ValidationError):
        services.cast_vote(ballot=ballot, person=people.sun.person, answers=answers_for(ballot), acting_user=people.sun.user)
    assert sorted(Vote.objects.filter(ballot=ballot).values_list("person__name", flat=True)) == ["张秀英", "赵强"]


def test_resident_lists_only_ballots_of_their_scope(make_ballot, people, tree):
    building = make_ballot(eligible_building=people.b1, title="1栋加装电梯意见征集")
    grid_b = make_ballot(eligible_region=tree.grid_b, title="第2网格项目评选")
    community = make_ballot(title="社区满意度")
    seen = {row["ballot"].pk for row in selectors.resident_view(people.zhang.person)["voting"]}
    assert seen == {building.pk, community.pk}
    assert {row["ballot"].pk for row in selectors.resident_view(people.zhao.person)["voting"]} == {grid_b.pk, community.pk}


def test_resident_cannot_vote_for_someone_else_but_staff_may_enter_a_paper_ballot(make_ballot, people, users):
    ballot = make_ballot()
    with pytest.raises(PermissionDenied):
        services.cast_vote(ballot=ballot, person=people.li.person, answers=answers_for(ballot), acting_user=people.zhang.user)
    outcome = services.cast_vote(ballot=ballot, person=people.li.person, answers=answers_for(ballot), acting_user=users["worker_a"])
    assert outcome.vote.cast_by == users["worker_a"]
    with pytest.raises(PermissionDenied):  # grid B's worker cannot enter a vote for grid A's resident
        services.cast_vote(ballot=ballot, person=people.zhang.person, answers=answers_for(ballot), acting_user=users["worker_b"])


# The window --------------------------------------------------------------------------------------

def test_no_vote_before_opens_at_nor_after_closes_at(make_ballot, people):
    later = make_ballot(opens_in=timedelta(days=1), closes_in=timedelta(days=10))
    with pytest.raises(ValidationError) as exc:
        cast(later, people.zhang)
    assert "投票将于" in messages(exc) and "开始" in messages(exc)
    assert later.phase() == "scheduled"

    running = make_ballot()
    after = running.closes_at + timedelta(seconds=1)
    with pytest.raises(ValidationError) as exc:
        services.cast_vote(ballot=running, person=people.zhang.person, answers=answers_for(running), acting_user=people.zhang.user, now=after)
    assert "投票已于" in messages(exc)
    # Past its time it counts as closed and published even before the sweep records it...
    assert running.phase(after) == "published"
    # ...and the sweep then writes it down, once.
    assert services.close_due_ballots(now=after) == 1
    assert services.close_due_ballots(now=after) == 0
    running.refresh_from_db()
    assert running.status == "published" and running.published_at == after
    assert AuditEntry.objects.filter(action="votes.ballot.close", target_id=str(running.pk)).count() == 1


def test_draft_takes_no_votes(make_ballot, people):
    draft = make_ballot(open_it=False)
    with pytest.raises(ValidationError) as exc:
        cast(draft, people.zhang)
    assert "投票尚未开启" in messages(exc)


def test_closing_early_ends_the_window_and_honour_votes_wait_for_publication(make_ballot, people, users):
    ballot = make_ballot(kind="honour", publish_on_close=False)
    cast(ballot, people.zhang)
    ballot = services.close_ballot(ballot, acting_user=users["community"])
    assert ballot.status == "closed" and ballot.closes_at <= timezone.now()
    with pytest.raises(ValidationError):
        cast(ballot, people.li)
    assert selectors.results_visible(ballot, staff=True) and not selectors.results_visible(ballot, staff=False)
    ballot = services.publish_results(ballot, acting_user=users["community"])
    assert ballot.status == "published" and selectors.results_visible(ballot, staff=False)


def test_results_are_hidden_while_voting(make_ballot):
    ballot = make_ballot()
    assert not selectors.results_visible(ballot, staff=True)
    assert not selectors.results_visible(ballot, staff=False)


def test_a_ballot_without_questions_or_past_its_close_does_not_open(tree, users):
    now = timezone.now()
    ballot = services.create_ballot(acting_user=users["community"], region=tree.community, title="空问卷", eligible_region=tree.community,
                                    opens_at=now, closes_at=now + timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        services.open_ballot(ballot, acting_user=users["community"])
    assert exc.value.message_dict == {"questions": ["请至少添加一道题目"]}
    services.add_question(ballot, acting_user=users["community"], text="满意吗", kind="rating")
    with pytest.raises(ValidationError) as exc:
        services.open_ballot(ballot, acting_user=users["community"], now=now + timedelta(days=2))
    assert "closes_at" in exc.value.message_dict
    assert services.open_ballot(ballot, acting_user=users["community"]).status == "open"
    with pytest.raises(ValidationError) as exc:  # no edits once open
        services.add_question(ballot, acting_user=users["community"], text="再加一题", kind="rating")
    assert "不能再修改" in messages(exc)


# Once --------------------------------------------------------------------------------------------

def test_second_vote_of_the_same_person_is_refused(make_ballot, people):
    ballot = make_ballot()
    cast(ballot, people.zhang)
    with pytest.raises(ValidationError) as exc:
        cast(ballot, people.zhang, single="法律咨询")
    assert exc.value.message_dict == {"person": [services.ALREADY_VOTED]}
    assert Vote.objects.filter(ballot=ballot).count() == 1
    assert selectors.results(ballot)[0]["options"][0]["count"] == 1  # 老年食堂 once, not twice


# Answers -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "expected"), [
    ("single_missing", "第1题「最满意的服务」为必答题"),
    ("single_foreign", "第1题「最满意的服务」：请从选项中选择一项"),
    ("too_many", "第2题「希望增加的活动」：最多选2项，您选了3项"),
    ("repeated", "第2题「希望增加的活动」：同一选项只能选一次"),
    ("rating_high", "第3题「总体满意度」：评分须为1到5的整数"),
    ("rating_word", "第3题「总体满意度」：评分须为1到5的整数"),
    ("text_long", "第4题「其他建议」：回答不能超过2000字"),
])
def test_bad_answer_names_the_question_and_keeps_nothing(make_ballot, people, change, expected):
    ballot = make_ballot()
    answers = answers_for(ballot)
    q1, q2, q3, q4 = list(ballot.questions.order_by("position"))
    other = make_ballot(title="另一份问卷")
    foreign_option = other.questions.get(position=1).options.first().pk
    q2_ids = list(q2.options.values_list("pk", flat=True))
    if change == "single_missing":
        del answers[q1.pk]
    elif change == "single_foreign":
        answers[q1.pk] = foreign_option
    elif change == "too_many":
        answers[q2.pk] = q2_ids[:3]
    elif change == "repeated":
        answers[q2.pk] = [q2_ids[0], q2_ids[0]]
    elif change == "rating_high":
        answers[q3.pk] = 6
    elif change == "rating_word":
        answers[q3.pk] = "很好"
    elif change == "text_long":
        answers[q4.pk] = "好" * 2001
    with pytest.raises(ValidationError) as exc:
        services.cast_vote(ballot=ballot, person=people.zhang.person, answers=answers, acting_user=people.zhang.user)
    assert expected in messages(exc)
    key = {"single_missing": q1, "single_foreign": q1, "too_many": q2, "repeated": q2, "rating_high": q3, "rating_word": q3,
           "text_long": q4}[change]
    assert list(exc.value.message_dict) == [f"question_{key.pk}"]
    assert not Vote.objects.filter(ballot=ballot).exists() and not Answer.objects.filter(question__ballot=ballot).exists()


def test_optional_question_may_be_left_empty(make_ballot, people):
    ballot = make_ballot()
    answers = answers_for(ballot)
    answers[ballot.questions.get(position=4).pk] = "   "
    outcome = services.cast_vote(ballot=ballot, person=people.zhang.person, answers=answers, acting_user=people.zhang.user)
    assert outcome.answers == 4  # 1 single + 2 multiple + 1 rating, no text row


def test_question_definitions_are_checked(tree, users):
    now = timezone.now()
    ballot = services.create_ballot(acting_user=users["community"], region=tree.community, title="问卷", eligible_region=tree.community,
                                    opens_at=now, closes_at=now + timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        services.add_question(ballot, acting_user=users["community"], text="选一个", kind="single", options=["唯一"])
    assert exc.value.message_dict == {"options": ["选择题至少需要两个选项"]}
    with pytest.raises(ValidationError) as exc:
        services.add_question(ballot, acting_user=users["community"], text="选几个", kind="multiple", max_choices=3, options=["甲", "乙"])
    assert exc.value.message_dict == {"max_choices": ["最多可选3项，但只有2个选项"]}
    with pytest.raises(ValidationError) as exc:
        services.add_question(ballot, acting_user=users["community"], text="选", kind="single", options=["甲", "甲"])
    assert exc.value.message_dict == {"options": ["选项“甲”重复"]}
    assert not ballot.questions.exists()


def test_create_refuses_bad_scope_and_times_and_keeps_nothing(tree, users, people):
    now = timezone.now()
    base = {"acting_user": users["community"], "region": tree.community, "title": "投票", "opens_at": now, "closes_at": now + timedelta(days=1)}
    with pytest.raises(ValidationError) as exc:
        services.create_ballot(**base, eligible_region=tree.grid_a, eligible_building=people.b1)
    assert "eligible_region" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.create_ballot(**base, eligible_region=tree.other_street)
    assert exc.value.message_dict == {"eligible_region": ["投票范围须在发起单位永先社区之内"]}
    with pytest.raises(ValidationError) as exc:
        services.create_ballot(**(base | {"closes_at": now}), eligible_region=tree.community)
    assert exc.value.message_dict == {"closes_at": ["截止时间须晚于开始时间"]}
    with pytest.raises(ValidationError) as exc:  # a bad question refuses the whole ballot
        services.create_ballot(**base, eligible_region=tree.community,
                               questions=[{"text": "好", "kind": "rating"}, {"text": "", "kind": "rating"}])
    assert exc.value.message_dict == {"questions[2]": ["请填写题目"]}
    with pytest.raises(PermissionDenied):
        services.create_ballot(**(base | {"acting_user": users["worker_a"]}), eligible_region=tree.community)
    assert not Ballot.objects.exists()


# Results -----------------------------------------------------------------------------------------

def test_results_count_options_average_ratings_and_list_texts(make_ballot, people):
    ballot = make_ballot()
    cast(ballot, people.zhang, single="老年食堂", multiple=("广场舞", "书法"), rating=5, text="增加路灯")
    cast(ballot, people.li, single="老年食堂", multiple=("广场舞",), rating=4, text="")
    cast(ballot, people.wang, single="法律咨询", multiple=("太极", "合唱"), rating=2, text="楼道清洁")
    cast(ballot, people.zhao, single="老年食堂", multiple=("书法",), rating=4, text="")
    single, multiple, rating, text = selectors.results(ballot)
    assert single["answered"] == 4
    assert [(o["label"], o["count"], o["percent"]) for o in single["options"]] == [("老年食堂", 3, 75.0), ("便民理发", 0, 0.0),
                                                                                  ("法律咨询", 1, 25.0)]
    assert single["top_option_ids"] == [single["options"][0]["id"]]
    # Shares of a multiple choice are of the voters, so they add up to more than 100.
    assert multiple["answered"] == 4
    assert {o["label"]: (o["count"], o["percent"]) for o in multiple["options"]} == {
        "广场舞": (2, 50.0), "书法": (2, 50.0), "太极": (1, 25.0), "合唱": (1, 25.0)}
    assert (rating["count"], rating["average"], rating["distribution"]) == (4, 3.75, {1: 0, 2: 1, 3: 0, 4: 2, 5: 1})
    assert text["texts"] == ["增加路灯", "楼道清洁"] and text["count"] == 2


def test_results_name_candidates(tree, users, people):
    now = timezone.now()
    ballot = services.create_ballot(
        acting_user=users["community"], region=tree.community, title="优秀网格员评选", kind="honour", eligible_region=tree.community,
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1),
        questions=[{"text": "请选出优秀网格员", "kind": "single", "options": [{"user": users["worker_a"]}, {"person": people.wang.person},
                                                                          {"label": "其他"}]}])
    services.open_ballot(ballot, acting_user=users["community"])
    question = ballot.questions.get()
    services.cast_vote(ballot=ballot, person=people.zhang.person, acting_user=people.zhang.user,
                       answers={question.pk: question.options.get(position=1).pk})
    options = selectors.results(ballot)[0]["options"]
    assert [(o["label"], o["user_id"], o["person_id"], o["count"]) for o in options] == [
        ("worker_a", users["worker_a"].pk, None, 1), ("王芳", None, people.wang.person.pk, 0), ("其他", None, None, 0)]


def test_turnout_by_grid(make_ballot, people, tree):
    ballot = make_ballot()
    cast(ballot, people.zhang)
    cast(ballot, people.wang)
    rows = selectors.turnout_by_grid(ballot)
    assert [(r["name"], r["eligible"], r["votes"], r["percent"]) for r in rows] == [
        ("永先社区第1网格", 3, 2, 66.7), ("永先社区第2网格", 1, 0, 0.0)]
    assert selectors.turnout_total(rows) == {"eligible": 4, "votes": 2, "percent": 50.0}


# The half-yearly grid project votes --------------------------------------------------------------

def test_grid_project_votes_one_ballot_per_grid_open_to_that_grid(tree, users, people):
    now = timezone.now()
    ballots = services.create_grid_project_votes(
        acting_user=users["community"], community=tree.community, period="2026年上半年",
        candidates={tree.grid_a: ["滨湖小区加装电梯", "老旧路灯更换"], tree.grid_b.code: ["枫林苑停车棚", "口袋公园", "楼道粉刷"]},
        opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=7))
    assert [(b.title, b.eligible_region, b.status) for b in ballots] == [
        ("永先社区第1网格2026年上半年最佳民生实事项目评选", tree.grid_a, "open"),
        ("永先社区第2网格2026年上半年最佳民生实事项目评选", tree.grid_b, "open")]
    grid_a_ballot = ballots[0]
    question = grid_a_ballot.questions.get()
    assert list(question.options.values_list("label", flat=True)) == ["滨湖小区加装电梯", "老旧路灯更换"]
    services.cast_vote(ballot=grid_a_ballot, person=people.zhang.person, acting_user=people.zhang.user,
                       answers={question.pk: question.options.first().pk})
    with pytest.raises(ValidationError):
        services.cast_vote(ballot=grid_a_ballot, person=people.zhao.person, acting_user=people.zhao.user,
                           answers={question.pk: question.options.first().pk})


def test_grid_project_votes_all_or_nothing(tree, users):
    now = timezone.now()
    base = {"acting_user": users["community"], "community": tree.community, "period": "2026年下半年", "opens_at": now,
            "closes_at": now + timedelta(days=7)}
    with pytest.raises(ValidationError) as exc:
        services.create_grid_project_votes(**base, candidates={tree.grid_a: ["甲", "乙"], tree.grid_b: ["只有一个"]})
    assert exc.value.message_dict == {f"grid_{tree.grid_b.pk}": ["永先社区第2网格：请至少列出两个候选项目"]}
    with pytest.raises(ValidationError) as exc:
        services.create_grid_project_votes(**base, candidates={tree.other_street: ["甲", "乙"]})
    assert "不是永先社区的网格" in messages(exc)
    services.create_grid_project_votes(**base, candidates={tree.grid_a: ["甲", "乙"]})
    with pytest.raises(ValidationError) as exc:  # the same half-year twice
        services.create_grid_project_votes(**base, candidates={tree.grid_b: ["丙", "丁"], tree.grid_a: ["甲", "乙"]})
    assert exc.value.message_dict == {f"grid_{tree.grid_a.pk}": ["永先社区第1网格已有2026年下半年的项目评选"]}
    assert Ballot.objects.count() == 1


def test_the_deadline_sweep_closes_and_publishes_ballots_past_their_time(make_ballot):
    from yiwang.core.jobs import run_jobs

    ballot = make_ballot(closes_in=timedelta(hours=1))
    assert run_jobs(now=timezone.now())["votes.close_due_ballots"] == 0
    result = run_jobs(now=timezone.now() + timedelta(hours=2))
    assert result["votes.close_due_ballots"] == 1
    ballot.refresh_from_db()
    assert ballot.status == "published" and ballot.closed_at is not None
