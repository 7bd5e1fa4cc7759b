"""The report form is sent once: a second POST with the same submission key (a double click, the
offline queue retrying after a lost answer) creates nothing and goes to the first case; every POST
that creates a case answers 303, and the result page is a GET a refresh can repeat."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from yiwang.cases.models import Case
from yiwang.core.models import SubmissionKey

from .conftest import POINT_A, POINT_B

pytestmark = pytest.mark.django_db


def _form(matters, point=POINT_A, **extra):
    data = {"channel": "grid_worker", "matter": str(matters("S0001").pk), "description": "占道经营", "urgency": "normal",
            "lon": str(point[0]), "lat": str(point[1])}
    data.update(extra)
    return data


def test_the_same_key_twice_creates_one_case_and_answers_with_the_first(client, users, matters):
    client.force_login(users["worker_a"])
    key = str(uuid.uuid4())
    first = client.post(reverse("case-report"), _form(matters, idempotency_key=key))
    assert first.status_code == 303
    case = Case.objects.get()
    assert first["Location"] == reverse("case-report-done", args=[case.number])
    again = client.post(reverse("case-report"), _form(matters, idempotency_key=key, description="第二次点击"))
    assert again.status_code == 303 and again["Location"] == first["Location"]
    assert Case.objects.count() == 1 and Case.objects.get().description == "占道经营"
    assert SubmissionKey.objects.get().object_id == case.pk


def test_the_same_key_of_two_accounts_is_two_reports(client, users, matters):
    key = str(uuid.uuid4())
    client.force_login(users["worker_a"])
    assert client.post(reverse("case-report"), _form(matters, idempotency_key=key)).status_code == 303
    client.force_login(users["worker_b"])
    assert client.post(reverse("case-report"), _form(matters, POINT_B, idempotency_key=key)).status_code == 303
    assert set(Case.objects.values_list("reported_by__username", flat=True)) == {"worker_a", "worker_b"}


def test_a_refused_report_writes_nothing_and_keeps_its_key_free(client, users, matters):
    client.force_login(users["worker_a"])
    key = str(uuid.uuid4())
    # A point outside the worker's grids: the field's own Chinese message, nothing half-written.
    response = client.post(reverse("case-report"), _form(matters, POINT_B, idempotency_key=key))
    assert response.status_code == 400 and "不在您负责的网格内" in response.content.decode()
    assert not Case.objects.exists() and not SubmissionKey.objects.exists()
    # The form comes back with the same key, so the corrected report is still the same submission.
    assert f'name="idempotency_key" value="{key}"' in response.content.decode()
    assert client.post(reverse("case-report"), _form(matters, idempotency_key=key)).status_code == 303
    assert Case.objects.count() == 1


def test_a_malformed_key_is_refused_in_words(client, users, matters):
    client.force_login(users["worker_a"])
    response = client.post(reverse("case-report"), _form(matters, idempotency_key="not-a-key"))
    assert response.status_code == 400 and "提交标识无效" in response.content.decode()
    assert not Case.objects.exists()


def test_post_redirect_get_the_result_page_shows_the_case_and_posts_nothing(client, users, matters):
    client.force_login(users["worker_a"])
    response = client.post(reverse("case-report"), _form(matters))
    assert response.status_code == 303
    case = Case.objects.get()
    for _ in range(2):  # a refresh is another GET
        page = client.get(response["Location"])
        assert page.status_code == 200
        html = page.content.decode()
        assert case.number in html and "上报成功" in html and 'data-testid="access-code"' not in html
    assert Case.objects.count() == 1
    # Another account does not see whose result page it is.
    client.force_login(users["worker_b"])
    assert client.get(response["Location"]).status_code == 404


def test_the_desk_code_survives_the_redirect_for_its_clerk_only(client, users, matters, tree):
    client.force_login(users["community"])
    response = client.post(reverse("case-new"), {"channel": "hotline", "matter": str(matters("S0002").pk), "description": "电梯",
                                                 "urgency": "normal", "grid": str(tree.grid_b.pk), "reporter_name": "王五"})
    assert response.status_code == 303
    html = client.get(response["Location"]).content.decode()
    assert 'data-testid="access-code"' in html and "继续上报" in html and reverse("case-new") in html
    client.force_login(users["street"])
    assert client.get(response["Location"]).status_code == 404


def test_a_script_is_told_where_the_redirect_goes(client, users, matters):
    client.force_login(users["worker_a"])
    response = client.post(reverse("case-report"), _form(matters, idempotency_key=str(uuid.uuid4())), HTTP_X_YIWANG_SUBMIT="1")
    assert response.status_code == 200 and not response.has_header("Location")
    assert response["X-Yiwang-Location"] == reverse("case-report-done", args=[Case.objects.get().number])
