"""The registry's component types (部件类型) kept in step with the national codes in
`matters.component_types`."""

from yiwang.matters.component_types import CLASSES, TYPES


def ensure(component_type_model=None) -> None:
    """Create or refresh the national types; idempotent. The data migration passes its
    historical model; the demo calls it too, so a flushed database still has the types."""
    if component_type_model is None:
        from .models import ComponentType as component_type_model
    for code, name in TYPES:
        component_type_model.objects.update_or_create(
            code=code, defaults={"name": name, "class_code": code[:2], "class_name": CLASSES[code[:2]]}
        )
