"""Schemathesis over the whole JSON API: every operation of /api/openapi.json, as the app serves it, gets
generated requests (valid and invalid, with boundary values) anonymously and as a district user who may
write. No request may end in a server error.

The run is derandomized (the same requests every time) and needs no server: requests go straight into
the WSGI application, inside the test's transaction, over the shared small tree of tests/conftest.py.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())

# Examples per operation and caller, on top of schemathesis' boundary (coverage) cases: about 260 operations and
# two callers come to over 20,000 requests a run (15 examples gave about 29,000 and found nothing more).
EXAMPLES = 5
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

SENT: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _one_connection():
    # Django's handler closes the connection after each request; the test client avoids that by
    # disconnecting the same receivers, so the requests see (and roll back with) the test's transaction.
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def district_token(tree, make_user):
    from yiwang.accounts.services import issue_token

    user = make_user("fuzz_district", "district", tree.district)
    return issue_token(user=user, name="fuzz", acting_user=user)[1]


def _send(case, caller: str, **kwargs):
    response = case.call(**kwargs)
    SENT[caller] = SENT.get(caller, 0) + 1
    case.validate_response(response, checks=[not_a_server_error])
    return response


@schema.parametrize()
@FUZZ
@pytest.mark.django_db
def test_api_anonymous(case, tree):
    response = _send(case, "anonymous")
    if case.method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
        # Nothing is written without a caller.
        assert response.status_code in (401, 403, 404, 405, 422), (case.method, case.formatted_path, response.status_code)


@schema.parametrize()
@FUZZ
@pytest.mark.django_db
def test_api_as_district(case, district_token):
    _send(case, "district", headers={"Authorization": f"Bearer {district_token}"})


def test_enough_requests_were_sent(request):
    """The two runs above together sent at least 5,000 requests (only meaningful when they ran first)."""
    ran = [item for item in request.session.items if item.originalname in ("test_api_anonymous", "test_api_as_district")]
    if len(ran) < 2 * len(list(schema.get_all_operations())) or not SENT:
        pytest.skip("the fuzz runs were deselected or split across shards")
    print(f"\nschemathesis requests: {SENT}, {sum(SENT.values())} in all")
    assert sum(SENT.values()) >= 5000, SENT
