"""Assessment over real rows: grid-worker rankings from the ledger and daily work, the yearly
review, department scores from cases and summonses, property companies' lights, honour rounds."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from tests import factories
from yiwang.assessment import selectors, services
from yiwang.assessment.models import HonourRound, ManagedArea, Nomination, RoundStatus, WorkerReview
from yiwang.cases.models import Case, Status, SummonsPart
from yiwang.core.models import AuditEntry
from yiwang.matters.models import Department, MatterType
from yiwang.points.models import PointEntry
from yiwang.registry.models import Place, PlaceKind

pytestmark = pytest.mark.django_db
THIS_YEAR = timezone.localdate().year
# Work is scored for a finished year: reviews are signed once the year is over.
YEAR = THIS_YEAR - 1
WHEN = datetime(YEAR, 6, 15, 10, tzinfo=timezone.get_current_timezone())


def _this_year():
    return selectors.year_period(THIS_YEAR)


def _ledger(worker, grid, points: int, *, at=WHEN):
    case = factories.case(grid)
    PointEntry.objects.create(worker=worker, region=grid, case=case, event="reported", points=points, at=at)


def _patrols(worker, grid, n: int, *, at=WHEN):
    from yiwang.gridwork.models import PatrolLog

    for _ in range(n):
        PatrolLog.objects.create(region=grid, worker=worker, worker_name=worker.username, at=at, summary="巡查")


def _visits(worker, grid, n: int):
    from yiwang.gridwork.models import HomeVisit

    for _ in range(n):
        HomeVisit.objects.create(region=grid, worker=worker, worker_name=worker.username, at=WHEN, summary="走访")


@pytest.fixture
def worked(tree, users):
    """worker_a: 10 ledger points, 4 patrols, 2 visits (= 10 + 2 + 2 = 14); worker_b: 3 points, 1 patrol (3.5)."""
    _ledger(users["worker_a"], tree.grid_a, 6)
    _ledger(users["worker_a"], tree.grid_a, 4)
    _patrols(users["worker_a"], tree.grid_a, 4)
    _visits(users["worker_a"], tree.micro_a1, 2)
    _ledger(users["worker_b"], tree.grid_b, 3)
    _patrols(users["worker_b"], tree.grid_b, 1)
    # The year before and this year count for nothing in YEAR.
    _ledger(users["worker_a"], tree.grid_a, 50, at=WHEN.replace(year=YEAR - 1))
    _patrols(users["worker_a"], tree.grid_a, 9, at=WHEN.replace(year=THIS_YEAR, month=1, day=2))
    return users


def test_ranking_scores_each_worker_from_their_records(tree, worked):
    since, until = selectors.year_period(YEAR)
    rows = selectors.grid_worker_ranking(region=tree.street, since=since, until=until)
    by_name = {row.worker.username: row for row in rows}
    assert by_name["worker_a"].score.total == 14
    assert by_name["worker_b"].score.total == 3.5
    assert [(r.worker.username, r.rank_in_community, r.workers_in_community) for r in rows] == [("worker_a", 1, 2), ("worker_b", 2, 2)]
    assert by_name["worker_a"].community == tree.community
    components = {c.code: c.count for c in by_name["worker_a"].score.components}
    assert components == {"ledger": 10, "patrols": 4, "visits": 2, "cases_opened": 0, "campaign_checks": 0}


def test_edited_rule_changes_the_ranking(tree, worked):
    from yiwang.assessment.models import AssessmentRule

    AssessmentRule.objects.filter(code="worker.ledger_weight").update(value=0)
    AssessmentRule.objects.filter(code="worker.per_patrol").update(value=10)
    since, until = selectors.year_period(YEAR)
    by_name = {row.worker.username: row.score.total for row in selectors.grid_worker_ranking(region=tree.street, since=since, until=until)}
    assert by_name == {"worker_a": 42, "worker_b": 10}


def test_review_freezes_the_computed_score_once(tree, worked):
    review = services.sign_review(worker=worked["worker_a"], year=YEAR, grade="excellent", comment="表现突出", acting_user=worked["community"])
    assert review.score == 14 and review.rank_in_community == 1 and review.workers_in_community == 2
    assert review.computation["formula"].endswith("= 14")
    assert review.computation["rules"]["worker.per_patrol"] == 0.5
    assert AuditEntry.objects.filter(action="assessment.review", target_id=str(review.pk)).exists()
    # Work recorded later for that year does not change a signed review.
    _patrols(worked["worker_a"], tree.grid_a, 10)
    review.refresh_from_db()
    assert review.score == 14
    with pytest.raises(ValidationError) as exc:
        services.sign_review(worker=worked["worker_a"], year=YEAR, grade="good", acting_user=worked["street"])
    assert "year" in exc.value.message_dict
    assert WorkerReview.objects.count() == 1
    if timezone.localdate().month < 12:  # the running year is reviewed only from December
        with pytest.raises(ValidationError) as exc:
            services.sign_review(worker=worked["worker_b"], year=THIS_YEAR, grade="good", acting_user=worked["street"])
        assert "12月" in exc.value.message_dict["year"][0]


def test_review_rules(tree, worked, make_user):
    with pytest.raises(PermissionDenied):
        services.sign_review(worker=worked["worker_a"], year=YEAR, grade="good", acting_user=worked["worker_b"])
    outsider = make_user("other_street", "street", tree.other_street)
    with pytest.raises(PermissionDenied):
        services.sign_review(worker=worked["worker_a"], year=YEAR, grade="good", acting_user=outsider)
    with pytest.raises(ValidationError) as exc:
        services.sign_review(worker=worked["worker_a"], year=YEAR, grade="best", acting_user=worked["community"])
    assert "grade" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.sign_review(worker=worked["community"], year=YEAR, grade="good", acting_user=worked["street"])
    assert "worker" in exc.value.message_dict
    assert WorkerReview.objects.count() == 0


def _department(tree, name="城管执法局"):
    return Department.objects.create(code=f"D{Department.objects.count() + 1}", name=name, kind="urban_management", region=tree.district)


def _handled_case(tree, department, *, closed_late=False, rework=0, open_overdue=False):
    case = factories.case(tree.grid_a)
    now = timezone.now()
    case.handling_department = department
    case.close_due_at = now - timedelta(hours=1)
    case.handled_at = now - timedelta(hours=3)
    case.rework_count = rework
    if open_overdue:
        case.status = Status.DISPATCHED
    else:
        case.status = Status.CLOSED
        case.closed_at = now if closed_late else now - timedelta(hours=2)
    case.save()
    return case


def test_department_score_from_cases_and_summonses(tree, users):
    department = _department(tree)
    for _ in range(3):
        _handled_case(tree, department)
    _handled_case(tree, department, closed_late=True, rework=1)
    part = factories.summonspart(tree.grid_a)
    SummonsPart.objects.filter(pk=part.pk).update(department=department, checked_in_at=part.checkin_due_at - timedelta(minutes=5),
                                                  rating_of_participant=4, rating_of_summoner=5)
    late = factories.summonspart(tree.grid_a)
    SummonsPart.objects.filter(pk=late.pk).update(department=department, checked_in_at=late.checkin_due_at + timedelta(hours=1),
                                                  rating_of_participant=2)
    since, until = _this_year()
    rows = selectors.department_scores(cases=Case.objects.restrict(users["street"]), parts=SummonsPart.objects.restrict(users["street"]),
                                       since=since, until=until)
    row = next(r for r in rows if r.department == department)
    assert (row.indicators.closed_on_time, row.indicators.judged) == (3, 4)
    assert (row.indicators.reworked, row.indicators.handled) == (1, 4)
    assert (row.checked_in_on_time, row.summons_asked) == (1, 2)
    assert row.rating_average == 3 and row.rating_of_street_average == 5
    # 0.75×40 + 0.75×20 + 0.5×20 + 0.6×20 = 67
    assert row.score.total == pytest.approx(67.0)


def test_department_scores_only_count_cases_in_scope(tree, users, make_user):
    department = _department(tree)
    _handled_case(tree, department)
    outsider = make_user("other_street", "street", tree.other_street)
    since, until = _this_year()
    assert selectors.department_scores(cases=Case.objects.restrict(outsider), parts=SummonsPart.objects.restrict(outsider),
                                       since=since, until=until) == []


def _company(tree, households=200):
    company = Place.objects.create(region=tree.grid_a, name="永先物业服务有限公司", kind=PlaceKind.PROPERTY_COMPANY)
    ManagedArea.objects.create(company=company, region=tree.grid_a, households=households)
    return company


def test_property_light_counts_housing_complaints_in_its_areas(tree, users):
    company = _company(tree)
    housing = MatterType.objects.get(kind="community", code="S0002")  # 物业矛盾, answered by housing
    assert housing.department_kind == "housing"
    for region in (tree.grid_a, tree.micro_a1, tree.grid_b):
        case = factories.case(region)
        Case.objects.filter(pk=case.pk).update(matter=housing)
    factories.case(tree.grid_a)  # another matter: not a complaint
    since, until = _this_year()
    row = selectors.property_ratings(companies=[company], since=since, until=until)[0]
    assert row.complaints == 2 and row.households == 200
    assert row.light.checks[0].value == 1.0  # 2 per 200 households
    assert row.light.colour == "green"
    for _ in range(4):
        case = factories.case(tree.micro_a2)
        Case.objects.filter(pk=case.pk).update(matter=housing)
    row = selectors.property_ratings(companies=[company], since=since, until=until)[0]
    assert row.complaints == 6 and row.light.colour == "red"


def test_property_light_reads_campaign_failures_and_ratings(tree, users):
    company = _company(tree)
    for rating in ["satisfied"] * 3 + ["unsatisfied"] * 2:
        case = factories.case(tree.grid_a)
        Case.objects.filter(pk=case.pk).update(rating=rating, rated_at=timezone.now())
    since, until = _this_year()
    row = selectors.property_ratings(companies=[company], since=since, until=until)[0]
    assert (row.satisfied, row.rated) == (3, 5)
    assert row.light.colour == "red"  # 60% satisfied


def test_honour_round_from_records_then_decided(tree, worked):
    honour_round = services.open_round(kind="grid_worker", region=tree.community, year=YEAR, places=1, acting_user=worked["community"])
    made = services.nominate_from_records(honour_round=honour_round, acting_user=worked["community"])
    assert [(n.user.username, n.score) for n in made] == [("worker_a", 14), ("worker_b", 3.5)]
    assert any(e.get("url", "").startswith(f"/assessment/workers/{worked['worker_a'].pk}/") for e in made[0].evidence)
    # Nominating again adds nobody twice.
    assert services.nominate_from_records(honour_round=honour_round, acting_user=worked["community"]) == []
    with pytest.raises(ValidationError) as exc:
        services.decide_round(honour_round=honour_round, awarded=[n.pk for n in made], acting_user=worked["community"])
    assert "awarded" in exc.value.message_dict
    services.decide_round(honour_round=honour_round, awarded=[made[0].pk], acting_user=worked["community"])
    honour_round.refresh_from_db()
    assert honour_round.status == RoundStatus.DECIDED
    assert list(Nomination.objects.filter(awarded=True).values_list("name", flat=True)) == [made[0].name]
    with pytest.raises(ValidationError):
        services.nominate(honour_round=honour_round, name="张三", reason="热心", acting_user=worked["community"])


def test_honour_round_rules(tree, users):
    with pytest.raises(PermissionDenied):
        services.open_round(kind="grid_worker", region=tree.community, year=YEAR, places=1, acting_user=users["worker_a"])
    services.open_round(kind="most_beautiful", region=tree.street, year=YEAR, places=3, acting_user=users["street"])
    with pytest.raises(ValidationError) as exc:
        services.open_round(kind="most_beautiful", region=tree.street, year=YEAR, places=3, acting_user=users["street"])
    assert "kind" in exc.value.message_dict
    most_beautiful = HonourRound.objects.get(kind="most_beautiful")
    with pytest.raises(ValidationError) as exc:
        services.nominate_from_records(honour_round=most_beautiful, acting_user=users["street"])
    assert "round" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.nominate(honour_round=most_beautiful, name="李四", reason=" ", acting_user=users["street"])
    assert "reason" in exc.value.message_dict
    services.nominate(honour_round=most_beautiful, name="李四", reason="十年照顾孤寡老人", acting_user=users["street"])
    assert Nomination.objects.get().evidence == [{"label": "推荐理由", "value": "十年照顾孤寡老人"}]


def test_pages_show_the_computation(tree, worked):
    client = Client()
    client.force_login(worked["community"])
    page = client.get(f"/assessment/workers/?year={YEAR}").content.decode()
    assert "worker_a" in page and "14" in page
    detail = client.get(f"/assessment/workers/{worked['worker_a'].pk}/?year={YEAR}").content.decode()
    assert "4 × 0.5" in detail and "= 14" in detail
    # The records behind the counts are listed and linked.
    from yiwang.gridwork.models import PatrolLog

    patrol_ids = PatrolLog.objects.filter(worker=worked["worker_a"], at__year=YEAR).values_list("pk", flat=True)
    assert len(patrol_ids) == 4 and all(f"/gridwork/patrols/{pk}/" in detail for pk in patrol_ids)
    later = PatrolLog.objects.filter(worker=worked["worker_a"], at__year=THIS_YEAR).values_list("pk", flat=True)
    assert len(later) == 9 and not any(f"/gridwork/patrols/{pk}/\"" in detail for pk in later)
    assert client.get("/assessment/workers/?year=abc").status_code == 200
    response = client.post(f"/assessment/workers/{worked['worker_a'].pk}/review/", {"year": YEAR, "grade": "excellent", "comment": ""})
    assert response.status_code == 302
    assert WorkerReview.objects.get().grade == "excellent"
    for url in ("/assessment/departments/", "/assessment/property/", "/assessment/honours/"):
        assert client.get(url).status_code == 200
    resident = Client()
    resident.force_login(worked["resident"])
    assert resident.get("/assessment/workers/").status_code == 403


def test_api_ranking_is_scoped(tree, worked, make_user):
    from yiwang.accounts.services import issue_token

    def get(user, url):
        key = issue_token(user=user, name="t", acting_user=user)[1]
        return Client().get(url, HTTP_AUTHORIZATION=f"Bearer {key}")

    assert get(worked["street"], "/api/assessment/workers?year=9999").status_code == 422

    rows = get(worked["street"], f"/api/assessment/workers?year={YEAR}").json()
    assert {(r["worker"], r["score"]) for r in rows} == {("worker_a", 14), ("worker_b", 3.5)}
    own = get(worked["worker_b"], f"/api/assessment/workers?year={YEAR}").json()
    assert [r["worker"] for r in own] == ["worker_b"]
    outsider = make_user("other_street", "street", tree.other_street)
    assert get(outsider, f"/api/assessment/workers?region={tree.community.code}").status_code == 404


def test_honour_round_from_a_published_vote(tree, users, make_user):
    from datetime import timedelta

    from yiwang.votes import services as vote_services

    candidates = [factories.person(tree.micro_a1) for _ in range(2)]
    voters = []
    for n in range(3):
        person = factories.person(tree.micro_a1)
        voters.append(make_user(f"voter{n}", "resident", None, person=person))
    now = timezone.now()
    ballot = vote_services.create_ballot(
        acting_user=users["community"], region=tree.community, title="最美永先人投票", kind="honour", eligible_region=tree.community,
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1),
        questions=[{"text": "推选最美永先人", "kind": "single",
                    "options": [{"label": c.name, "person": c} for c in candidates] + [{"label": "弃权"}]}])
    ballot = vote_services.open_ballot(ballot, acting_user=users["community"])
    question = ballot.questions.get()
    option_of = {o.person_id: o.pk for o in question.options.all()}
    for voter, choice in zip(voters, [candidates[1], candidates[1], candidates[0]], strict=True):
        vote_services.cast_vote(ballot=ballot, person=voter.person, answers={question.pk: option_of[choice.pk]}, acting_user=voter)
    honour_round = services.open_round(kind="most_beautiful", region=tree.community, year=YEAR, places=1, acting_user=users["community"])
    with pytest.raises(ValidationError) as exc:  # still voting: nothing to nominate from
        services.nominate_from_ballot(honour_round=honour_round, ballot=ballot, acting_user=users["community"])
    assert "ballot" in exc.value.message_dict
    vote_services.close_ballot(ballot, acting_user=users["community"])
    ballot.refresh_from_db()
    if ballot.status != "published":
        vote_services.publish_results(ballot, acting_user=users["community"])
        ballot.refresh_from_db()
    made = services.nominate_from_ballot(honour_round=honour_round, ballot=ballot, acting_user=users["community"])
    assert [(n.person, n.score) for n in made] == [(candidates[1], 2), (candidates[0], 1)]
    assert made[0].evidence[1]["url"] == f"/votes/{ballot.pk}/"
    assert "2 票" in made[0].evidence[0]["value"]
