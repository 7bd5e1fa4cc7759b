"""core/idempotency.py: one result per (user, key), recorded in the same transaction as the result;
a racing second submission is answered with the first one's object; old keys are pruned."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from yiwang.core import idempotency, jobs
from yiwang.core.models import AuditEntry, SubmissionKey

pytestmark = pytest.mark.django_db


def _audit(note: str) -> AuditEntry:
    return AuditEntry.objects.create(action=note, target_type="test")


def test_once_creates_once_and_then_names_the_first(users):
    key = uuid.uuid4()
    first = idempotency.once(user=users["worker_a"], key=key, kind="test", create=lambda: _audit("a"), object_id=lambda e: e.pk)
    again = idempotency.once(user=users["worker_a"], key=key, kind="test", create=lambda: _audit("b"), object_id=lambda e: e.pk)
    assert not first.repeated and again.repeated and again.object_id == first.object_id and again.result is None
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["a"]


def test_a_failing_service_leaves_no_key(users):
    def refuse():
        _audit("half")
        raise ValidationError({"lat": "不在网格内"})

    with pytest.raises(ValidationError):
        idempotency.once(user=users["worker_a"], key=uuid.uuid4(), kind="test", create=refuse, object_id=lambda e: e.pk)
    assert not SubmissionKey.objects.exists() and not AuditEntry.objects.exists()


def test_a_racing_second_submission_rolls_back_and_gets_the_first(users, monkeypatch):
    user, key = users["worker_a"], uuid.uuid4()
    winner = _audit("first")
    SubmissionKey.objects.create(user=user, key=key, kind="test", object_id=winner.pk)
    # The other request commits its key between this one's check and its insert: the check saw nothing.
    original, checks = idempotency.earlier, []

    def check_before_the_other_committed(**kwargs):
        checks.append(kwargs)
        return None if len(checks) == 1 else original(**kwargs)

    monkeypatch.setattr(idempotency, "earlier", check_before_the_other_committed)
    outcome = idempotency.once(user=user, key=key, kind="test", create=lambda: _audit("second"), object_id=lambda e: e.pk)
    assert outcome.repeated and outcome.object_id == winner.pk
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["first"]


def test_a_key_of_another_form_is_refused(users):
    key = uuid.uuid4()
    idempotency.once(user=users["worker_a"], key=key, kind="one", create=lambda: _audit("a"), object_id=lambda e: e.pk)
    with pytest.raises(ValidationError, match="另一张表单"):
        idempotency.earlier(user=users["worker_a"], key=key, kind="other")


def test_old_keys_are_pruned_by_the_sweep(users):
    fresh = SubmissionKey.objects.create(user=users["worker_a"], key=uuid.uuid4(), kind="test", object_id=1)
    old = SubmissionKey.objects.create(user=users["worker_a"], key=uuid.uuid4(), kind="test", object_id=2)
    SubmissionKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=idempotency.KEEP_DAYS + 1))
    result = jobs.run_jobs()
    assert result["core.prune_submission_keys"] == 1
    assert list(SubmissionKey.objects.values_list("pk", flat=True)) == [fresh.pk]
