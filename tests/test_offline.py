"""The offline pieces the server serves: the service worker from the site's root, the queue panel on
staff pages only, and the forms that opt into the offline queue."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert b"addEventListener(\"fetch\"" in response.content


def test_staff_pages_carry_the_queue_and_its_script_residents_do_not(client, users):
    client.force_login(users["worker_a"])
    html = client.get(reverse("gridwork:new_patrol")).content.decode()
    assert 'id="offline-queue"' in html and "/static/web/offline.js" in html and 'data-service-worker="/sw.js"' in html
    assert "data-offline-queue=" in html and 'name="idempotency_key"' in html
    assert "data-offline-queue=" in client.get(reverse("case-report")).content.decode()
    client.force_login(users["resident"])
    assert "offline.js" not in client.get(reverse("resident-report")).content.decode()
    client.logout()
    assert "offline.js" not in client.get(reverse("login")).content.decode()
