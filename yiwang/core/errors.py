"""A service's ValidationError as people read it: next to the form fields it names, or as one
sentence for a message. Each app passes its own field labels."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError


def by_field(exc: ValidationError) -> dict[str, list[str]]:
    """The messages keyed by field; a message naming no field is keyed "__all__"."""
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def describe(exc: ValidationError, label: Callable[[str], str] | None = None) -> str:
    """One sentence: each field's messages after its label, or just the messages without `label`."""
    if not hasattr(exc, "error_dict"):
        return "；".join(exc.messages)
    if label is None:
        return "；".join(m for messages in exc.message_dict.values() for m in messages)
    return "；".join(f"{label(key)}：{'，'.join(messages)}" for key, messages in exc.message_dict.items())


def apply_to_form(form: forms.Form, exc: ValidationError, label: Callable[[str], str] | None = None) -> None:
    """Messages for the form's fields go next to them; the rest on top of the form (after their
    field's label when `label` is given)."""
    for key, messages in by_field(exc).items():
        if key in form.fields:
            form.add_error(key, messages)
        elif label is None or key == "__all__":
            form.add_error(None, messages)
        else:
            form.add_error(None, [f"{label(key)}：{m}" for m in messages])
