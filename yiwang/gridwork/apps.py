from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridworkConfig(AppConfig):
    name = "yiwang.gridwork"
    verbose_name = _("网格日常")

    def ready(self) -> None:
        from yiwang.registry.access import add_need_to_know

        from .need_to_know import persons_met

        add_need_to_know(persons_met)
        _connect_care_counters()


def _connect_care_counters() -> None:
    """Every write that changes who is under a care plan, where, or when last visited moves the care
    counters in its transaction (counters.py)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

    from yiwang.regions.signals import region_moved
    from yiwang.registry.models import Person, PersonTag
    from yiwang.registry.signals import persons_written

    from .models import CarePlan, HomeVisit

    uid = "gridwork_care_counters_"
    post_save.connect(_person_saved, sender=Person, dispatch_uid=uid + "person_saved")
    post_delete.connect(_person_saved, sender=Person, dispatch_uid=uid + "person_deleted")
    post_save.connect(_tag_saved, sender=PersonTag, dispatch_uid=uid + "tag_saved")
    post_delete.connect(_tag_saved, sender=PersonTag, dispatch_uid=uid + "tag_deleted")
    m2m_changed.connect(_visit_persons_changed, sender=HomeVisit.persons.through, dispatch_uid=uid + "visit_persons")
    post_save.connect(_visit_saved, sender=HomeVisit, dispatch_uid=uid + "visit_saved")
    pre_delete.connect(_visit_deleting, sender=HomeVisit, dispatch_uid=uid + "visit_deleting")
    post_delete.connect(_visit_deleted, sender=HomeVisit, dispatch_uid=uid + "visit_deleted")
    post_save.connect(_plan_saved, sender=CarePlan, dispatch_uid=uid + "plan_saved")
    post_delete.connect(_plan_saved, sender=CarePlan, dispatch_uid=uid + "plan_deleted")
    region_moved.connect(_region_moved, dispatch_uid=uid + "region_moved")
    persons_written.connect(_persons_written, dispatch_uid=uid + "persons_written")


def _person_saved(sender, instance, update_fields=None, **kwargs) -> None:
    from . import counters

    if update_fields is not None and "region" not in update_fields:
        return  # only where a person is registered matters to the counters
    counters.refresh([instance.pk])


def _tag_saved(sender, instance, **kwargs) -> None:
    from . import counters

    counters.refresh([instance.person_id])


def _visit_persons_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    from . import counters

    if action == "pre_clear":
        # The persons cleared are known only before: keep them for post_clear.
        instance._care_cleared = [instance.pk] if reverse else list(instance.persons.values_list("pk", flat=True))
    elif action == "post_clear":
        counters.refresh(getattr(instance, "_care_cleared", []))
    elif action in ("post_add", "post_remove"):
        counters.refresh([instance.pk] if reverse else pk_set or [])


def _visit_saved(sender, instance, created, **kwargs) -> None:
    from . import counters

    if not created:  # a new visit names nobody yet; its persons come through m2m_changed
        counters.refresh(instance.persons.values_list("pk", flat=True))


def _visit_deleting(sender, instance, **kwargs) -> None:
    instance._care_persons = list(instance.persons.values_list("pk", flat=True))


def _visit_deleted(sender, instance, **kwargs) -> None:
    from . import counters

    counters.refresh(getattr(instance, "_care_persons", []))


def _plan_saved(sender, instance, **kwargs) -> None:
    from . import counters

    counters.plan_changed(instance)


def _region_moved(sender, region, old_path, **kwargs) -> None:
    from . import counters

    counters.region_moved(region=region, old_path=old_path)


def _persons_written(sender, person_ids, **kwargs) -> None:
    from . import counters

    counters.refresh(person_ids)
