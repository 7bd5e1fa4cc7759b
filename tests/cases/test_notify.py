"""Notifications: inbox rows for the people who act next, and group-robot webhooks in the
text shape WeCom and DingTalk accept."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from yiwang.cases import services
from yiwang.notify.models import Notification, WebhookDelivery, WebhookEndpoint


@pytest.fixture
def robot():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"errcode":0}')

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/robot", received
    server.shutdown()


def test_report_reaches_coordinators_and_the_street_robot(tree, users, report, robot, django_capture_on_commit_callbacks):
    url, received = robot
    WebhookEndpoint.objects.create(name="云枫街道值班群", url=url, region=tree.street)
    WebhookEndpoint.objects.create(name="汉丰街道值班群", url=url + "?other", region=tree.other_street)
    with django_capture_on_commit_callbacks(execute=True):
        case = report("S0001").case
    assert set(Notification.objects.filter(case=case).values_list("user__username", flat=True)) == {"community", "street", "district"}
    assert received == [{"msgtype": "text", "text": {"content": f"【新事件待受理】{case.number} 邻里纠纷 · 永先社区第1网格:测试事件"}}]
    assert WebhookDelivery.objects.get().sent_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        services.do_accept_case(case, acting_user=users["community"])
        services.do_dispatch_case(case, acting_user=users["community"])
    assert Notification.objects.filter(case=case, kind="dispatch").get().user == users["worker_a"]


def test_a_robot_that_is_down_keeps_the_error_and_the_inbox_still_fills(tree, users, report, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(name="坏的机器人", url="http://127.0.0.1:9/robot", region=tree.street)
    with django_capture_on_commit_callbacks(execute=True):
        case = report("S0001").case
    delivery = WebhookDelivery.objects.get()
    assert delivery.sent_at is None and delivery.attempts == 1 and delivery.last_error
    assert Notification.objects.filter(case=case).count() == 3


def test_failed_robot_messages_are_sent_again_by_the_sweep(tree, users, report, robot, django_capture_on_commit_callbacks):
    from yiwang.core.jobs import run_jobs

    url, received = robot
    endpoint = WebhookEndpoint.objects.create(name="值班群", url="http://127.0.0.1:9/down", region=tree.street)
    with django_capture_on_commit_callbacks(execute=True):
        report("S0001")
    assert WebhookDelivery.objects.get().sent_at is None
    endpoint.url = url  # the robot is back
    endpoint.save()
    assert run_jobs()["notify.resend_webhooks"] == 1 and len(received) == 1
    assert run_jobs()["notify.resend_webhooks"] == 0
