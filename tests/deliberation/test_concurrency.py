"""Two clicks at once still leave one evaluation per resident per topic."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.deliberation import flow
from yiwang.deliberation import services
from yiwang.deliberation.models import Evaluation


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_evaluations_at_once_keep_one(tree, people, users):
    topic = flow.done(tree, people, users)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click(score):
        try:
            barrier.wait()
            services.evaluate(topic, acting_user=people.resident, score=score)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append("refused:" + exc.message_dict["score"][0])
        except Exception as exc:  # noqa: BLE001 - a database lock error is an outcome too
            outcomes.append(f"error:{exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(score,)) for score in (4, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["ok", "refused"], outcomes
    assert Evaluation.objects.filter(topic=topic, person=people.a).count() == 1
