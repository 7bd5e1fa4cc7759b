from django.contrib import admin

from yiwang.core.admin_base import ScopedAdmin

from .models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ScopedAdmin):
    list_display = ["name", "url", "region", "active"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "endpoint", "sent_at", "attempts", "last_error"]
    readonly_fields = ["endpoint", "payload", "created_at", "sent_at", "attempts", "last_error"]
