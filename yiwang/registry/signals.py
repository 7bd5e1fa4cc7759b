"""What the registry announces to the apps above it.

`persons_written` is sent by writers that bypass `Person.save` and the tags' `save` (the persons
import's bulk insert), with `person_ids`: the persons written or retagged, in the writer's
transaction. Apps that keep counts about persons (gridwork's care counters) listen to it."""

from django.dispatch import Signal

persons_written = Signal()
