"""Admin: scope-aware. Venues are edited here too; slots, activities and registrations only go
through the services (clash detection, seats, waiting list), so the admin shows them read-only."""

from django.contrib import admin

from yiwang.core.admin_base import ReadOnlyScopedAdmin, ScopedAdmin

from .models import Activity, ActivityPhoto, Registration, RosterSlot, Venue


@admin.register(Venue)
class VenueAdmin(ScopedAdmin):
    list_display = ["name", "kind", "region", "capacity", "public"]
    list_filter = ["kind", "public"]
    search_fields = ["name", "address"]


@admin.register(RosterSlot)
class RosterSlotAdmin(ReadOnlyScopedAdmin):
    list_display = ["venue", "group_name", "weekday", "start_time", "end_time", "valid_from", "valid_until"]
    list_filter = ["weekday"]
    exclude = ["phone_sealed", "phone_digest"]
    readonly_fields = ["phone_masked"]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "kind", "status", "region", "venue", "starts_at", "capacity"]
    list_filter = ["status", "kind"]
    search_fields = ["title"]


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyScopedAdmin):
    list_display = ["activity", "name", "phone_masked", "status", "queued_at", "checked_in_at"]
    list_filter = ["status"]
    exclude = ["phone_sealed", "phone_digest", "code_hash"]
    readonly_fields = ["phone_masked"]


@admin.register(ActivityPhoto)
class ActivityPhotoAdmin(ReadOnlyScopedAdmin):
    list_display = ["activity", "content_type", "size", "created_at"]
