"""The case page's stage list: the page asks `stages.stage_rows` (the one selector) through this tag."""

from django import template
from django.utils import timezone

from yiwang.cases.stages import stage_rows

register = template.Library()


@register.simple_tag
def case_stages(case):
    return stage_rows(case, now=timezone.now())
