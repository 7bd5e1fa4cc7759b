"""Factories for this app's scoped models: `def <model_name>(region)` makes one row inside `region`
(a micro-grid or grid). tests/factories.py finds them by model name."""

from __future__ import annotations

import itertools

from django.utils import timezone

_seq = itertools.count(1)


def wish(region, *, status: str = "published", person=None):
    """A wish of a new person living in `region`, straight in the table (services are tested apart)."""
    from tests import factories
    from yiwang.wishes.models import Wish

    person = person or factories.person(region)
    now = timezone.now()
    return Wish.objects.create(region=region, person=person, title=f"测试心愿{next(_seq)}", status=status, posted_at=now,
                               published_at=now if status != "submitted" else None)


def wishevent(region):
    from yiwang.wishes.models import WishEvent

    row = wish(region)
    return WishEvent.objects.create(wish=row, at=timezone.now(), action="post", to_status=row.status)


def wishphoto(region):
    from yiwang.wishes.models import WishPhoto

    return WishPhoto.objects.create(wish=wish(region), image="wishes/test.png", content_type="image/png", size=1)
