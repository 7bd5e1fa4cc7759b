from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "yiwang.cases"
    verbose_name = _("事件办理")

    def ready(self):
        from django.db.models.signals import post_delete

        from . import rollups
        from .models import Case

        post_delete.connect(rollups.case_deleted, sender=Case, dispatch_uid="case_rollups_on_delete")

        from django.db.models.signals import post_save

        from yiwang.ab_roles.models import Desk

        from .desks import desk_index
        from .skiplevel import _active_rules
        from .skiplevel_models import SkipLevelRule

        # The per-process lookups every intake makes: a change made here is seen here at once.
        for model, cache in ((Desk, desk_index), (SkipLevelRule, _active_rules)):
            for signal in (post_save, post_delete):
                signal.connect(_clear(cache), sender=model, weak=False, dispatch_uid=f"cases_clear_{model.__name__}_{signal is post_save}")

        from yiwang.regions.signals import region_moved

        region_moved.connect(_move_rollups, dispatch_uid="case_rollups_on_region_moved")

        from yiwang.registry.access import add_need_to_know

        from .need_to_know import reporters

        add_need_to_know(reporters)

        from yiwang.ab_roles.signals import leave_started
        from yiwang.worktime.signals import calendar_changed

        leave_started.connect(_hand_over_at_once, dispatch_uid="cases_hand_over_on_leave_started")
        calendar_changed.connect(_retime_open_cases, dispatch_uid="cases_retime_on_calendar_changed")


def _move_rollups(sender, *, region, old_path, **kwargs) -> None:
    """A region moved (regions announces it in the move's transaction): its cases' rollups follow."""
    from . import rollups

    rollups.region_moved(region=region, old_path=old_path)


def _retime_open_cases(sender, *, old, new, changed_from, now, **kwargs) -> int:
    """The working calendar changed (worktime announces it in the change's transaction): open cases
    keep the working time they had left."""
    from .clock import retime_open_cases

    return retime_open_cases(old=old, new=new, changed_from=changed_from, now=now)


def _hand_over_at_once(sender, *, leave, acting_user=None, now, **kwargs) -> int:
    """A leave was recorded that has already begun (ab_roles announces it in the recording
    transaction): the person's open cases go to whoever acts now."""
    from .handover import hand_over

    return hand_over(leave, acting_user=acting_user, now=now)


def _clear(cache):
    def clear(sender, **kwargs):
        cache.invalidate()

    return clear
