"""The hand-written path prefix condition (regions.fields.starts_with_sql) selects what the ORM's
`path__startswith` does, on both databases, and treats LIKE's wildcards as plain characters."""

import pytest
from django.db import connection

from yiwang.regions.fields import starts_with_sql
from yiwang.regions.models import Level, Region


def _under(prefix: str) -> set[int]:
    condition, params = starts_with_sql("path", prefix)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {connection.ops.quote_name(Region._meta.db_table)} WHERE {condition}", params)
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_the_raw_prefix_matches_the_orm_lookup(tree):
    for region in Region.objects.all():
        assert _under(region.path) == set(Region.objects.filter(path__startswith=region.path).values_list("pk", flat=True)), region.path


@pytest.mark.django_db
def test_wildcards_in_a_prefix_are_plain_characters(tree):
    underscored = Region.objects.create(parent=tree.street, code="A_1", name="下划线", level=Level.COMMUNITY)
    lookalike = Region.objects.create(parent=tree.street, code="AB1", name="相似", level=Level.COMMUNITY)
    assert underscored.pk in _under(underscored.path)
    assert lookalike.pk not in _under(underscored.path)
