"""The admin starts from the same scope rules as pages and the API (`ScopedAdmin`); rows that only services
write (ledgers, events, logs) are read-only there (`ReadOnly`, `ReadOnlyAdmin`, `ReadOnlyScopedAdmin`)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model

from yiwang.core.scope import Action, ScopedQuerySet, require


class ScopedAdmin(admin.ModelAdmin):
    list_per_page = 50

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.restrict(request.user, Action.VIEW) if isinstance(qs, ScopedQuerySet) else qs

    def _in_scope(self, request, obj, action: Action) -> bool:
        if obj is None:
            return True
        qs = self.model._default_manager.restrict(request.user, action)
        return qs.filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj, Action.CHANGE)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj, Action.CHANGE)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if getattr(related, "scope_path_field", None) or related is get_user_model():
            kwargs["queryset"] = related._default_manager.restrict(request.user, Action.VIEW)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Accounts are offered by the same scope rule as anywhere else (yiwang.core.scope.visible_users).
        if db_field.related_model is get_user_model():
            kwargs["queryset"] = get_user_model()._default_manager.restrict(request.user, Action.VIEW)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # A new or moved row must land inside the editor's scope.
        path = self._region_path(obj)
        if path is not None:
            require(request.user, Action.CHANGE, path)
        super().save_model(request, obj, form, change)

    def _region_path(self, obj) -> str | None:
        """The region path the object will sit at, following its scope_path_field."""
        if hasattr(obj, "path_for"):  # a region: where it will be, from its parent
            return obj.path_for(obj.parent, obj.code)
        target = obj
        for part in self.model.scope_path_field.split("__"):
            target = getattr(target, part, None)
            if target is None:
                return None
        return target


class ReadOnly:
    """Mixed into a ModelAdmin or an inline: the rows are listed and shown, never added, changed or
    deleted here (their services check, stamp and audit each change)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    """Read-only, for rows that belong to no region (the audit and access logs)."""


class ReadOnlyScopedAdmin(ReadOnly, ScopedAdmin):
    """Read-only, and only the rows inside the user's scope."""
