"""Registry actions that need more than a save: revealing personal data (always logged)."""

from __future__ import annotations

from django.db import transaction

from yiwang.core import audit, crypto
from yiwang.core.scope import Action, require

from .models import Person


def reveal_person(*, person: Person, acting_user, channel: str, remote_addr: str = "") -> dict[str, str]:
    """The clear ID number and phone of one person, for roles that visit and call residents.
    Every call writes one access row per field, in the same transaction as the read."""
    require(acting_user, Action.REVEAL, person.region.path)
    with transaction.atomic():
        audit.log_reveal(user=acting_user, target=person, fields=["id_number", "phone"], channel=channel, remote_addr=remote_addr)
        return {"id_number": crypto.decrypt(person.id_number_sealed), "phone": crypto.decrypt(person.phone_sealed)}
