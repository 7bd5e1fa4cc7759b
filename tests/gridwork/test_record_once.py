"""Patrols and home visits are recorded once per submission key, and every save answers 303."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.gridwork import factories as gw
from yiwang.gridwork.models import HomeVisit, PatrolLog

pytestmark = pytest.mark.django_db


def _form(**fields):
    data = {"at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "findings-TOTAL_FORMS": "1", "findings-INITIAL_FORMS": "0",
            "findings-MIN_NUM_FORMS": "0", "findings-MAX_NUM_FORMS": "20", "findings-0-urgency": "normal"}
    data.update(fields)
    return data


def test_a_patrol_sent_twice_with_one_key_is_one_patrol(client, tree, users, matter):
    client.force_login(users["worker_a"])
    key = str(uuid.uuid4())
    fields = _form(region=tree.grid_a.pk, summary="巡查滨湖路", idempotency_key=key,
                   **{"findings-0-description": "井盖破损", "findings-0-open_case": "on", "findings-0-matter": matter.pk})
    first = client.post("/gridwork/patrols/new/", fields)
    patrol = PatrolLog.objects.get()
    assert first.status_code == 303 and first["Location"] == f"/gridwork/patrols/{patrol.pk}/"
    again = client.post("/gridwork/patrols/new/", fields, follow=True)
    assert again.redirect_chain == [(f"/gridwork/patrols/{patrol.pk}/", 303)]
    assert PatrolLog.objects.count() == 1 and patrol.findings.get().case is not None
    assert "这条记录已经提交过，没有重复保存" in again.content.decode()
    # Another worker's same key is their own submission.
    client.force_login(users["worker_b"])
    assert client.post("/gridwork/patrols/new/", _form(region=tree.grid_b.pk, summary="巡查", idempotency_key=key)).status_code == 303
    assert PatrolLog.objects.count() == 2


def test_a_visit_sent_twice_with_one_key_is_one_visit(client, tree, users, tagged):
    gw.careplan(tree.community, group="elderly_alone", frequency_days=7, starts_on=timezone.localdate() - timedelta(days=30))
    elder = tagged(tree.micro_a1, "elderly_alone", name="李奶奶")
    client.force_login(users["worker_a"])
    fields = _form(region=tree.micro_a1.pk, persons=[elder.pk], summary="上门看望", idempotency_key=str(uuid.uuid4()))
    first = client.post("/gridwork/visits/new/", fields, follow=True)
    visit = HomeVisit.objects.get()
    assert first.redirect_chain == [(f"/gridwork/visits/{visit.pk}/", 303)] and "已记录入户走访" in first.content.decode()
    # The elder is covered now, yet the retry is recognised before the form is read again.
    assert client.post("/gridwork/visits/new/", fields)["Location"] == f"/gridwork/visits/{visit.pk}/"
    assert HomeVisit.objects.count() == 1


def test_a_refused_patrol_keeps_nothing_and_keeps_its_key(client, tree, users):
    client.force_login(users["worker_a"])
    key = str(uuid.uuid4())
    response = client.post("/gridwork/patrols/new/", _form(region=tree.grid_a.pk, summary="巡查", at="2020-01-01T08:00", idempotency_key=key))
    page = response.content.decode()
    assert "只能补录 30 天内的记录" in page and f'value="{key}"' in page
    assert not PatrolLog.objects.exists()
