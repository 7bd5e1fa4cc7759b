from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "yiwang.registry"
    label = "registry"
    verbose_name = _("人房地物")

    def ready(self) -> None:
        _connect_heat_counters()


def _connect_heat_counters() -> None:
    """Every write that changes who is a key person, where they are registered or which building
    they live in moves the heat counters in its transaction (heat.py). A region moved changes no key:
    the rows are keyed by the person's own region, found under a place by its current path."""
    from django.db.models.signals import post_delete, post_save, pre_delete

    from .models import House, Household, Person, PersonTag
    from .signals import persons_written

    uid = "registry_heat_counters_"
    post_save.connect(_person_saved, sender=Person, dispatch_uid=uid + "person_saved")
    post_delete.connect(_person_saved, sender=Person, dispatch_uid=uid + "person_deleted")
    post_save.connect(_tag_saved, sender=PersonTag, dispatch_uid=uid + "tag_saved")
    post_delete.connect(_tag_saved, sender=PersonTag, dispatch_uid=uid + "tag_deleted")
    post_save.connect(_household_saved, sender=Household, dispatch_uid=uid + "household_saved")
    post_save.connect(_house_saved, sender=House, dispatch_uid=uid + "house_saved")
    # Deleting a house or household sets its members' link to NULL without a signal of theirs: who
    # they were is known only before, their new key only after.
    for model, name in ((Household, "household"), (House, "house")):
        pre_delete.connect(_home_deleting, sender=model, dispatch_uid=uid + name + "_deleting")
        post_delete.connect(_home_deleted, sender=model, dispatch_uid=uid + name + "_deleted")
    persons_written.connect(_persons_written, dispatch_uid=uid + "persons_written")


def _person_saved(sender, instance, update_fields=None, **kwargs) -> None:
    from . import heat

    if update_fields is not None and not {"region", "household"} & set(update_fields):
        return  # only where a person is registered and lives matters to the heat
    heat.refresh([instance.pk])


def _tag_saved(sender, instance, **kwargs) -> None:
    from . import heat

    heat.refresh([instance.person_id])


def _household_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    from . import heat

    if created or (update_fields is not None and "house" not in update_fields):
        return  # a new household has no members yet
    heat.refresh(heat.tagged_persons(household=instance))


def _house_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    from . import heat

    if created or (update_fields is not None and "building" not in update_fields):
        return
    heat.refresh(heat.tagged_persons(household__house=instance))


def _home_deleting(sender, instance, **kwargs) -> None:
    from . import heat
    from .models import Household

    field = "household" if sender is Household else "household__house"
    instance._heat_persons = heat.tagged_persons(**{field: instance})


def _home_deleted(sender, instance, **kwargs) -> None:
    from . import heat

    heat.refresh(getattr(instance, "_heat_persons", []))


def _persons_written(sender, person_ids, **kwargs) -> None:
    from . import heat

    heat.refresh(person_ids)
