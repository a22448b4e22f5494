"""Services & Campaigns: a tenant's services and the client partition each serves,
and the gateway tokens its telephony and email gateways deliver interactions with.

Every save and delete goes through services.actions, which audits it."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ccadmin.admin_base import TenantScopedAdmin, Writers
from partitions.admin_fields import TenantPartitionFilter
from services import actions
from services.models import GatewayToken, Service


@admin.register(Service)
class ServiceAdmin(TenantScopedAdmin):
    """A service's Properties carry the Client Partition select (same tenant only)."""

    list_display = ["name", "type", "client_partition", "email_address"]
    list_filter = ["type", ("client_partition", TenantPartitionFilter)]
    search_fields = ["name", "email_address"]
    list_select_related = ["client_partition"]
    fieldsets = [
        (None, {"fields": ["name", "type"]}),
        (gettext_lazy("Properties"), {"fields": ["client_partition", "email_address"]}),
    ]
    writers = Writers(
        actions.add_service, actions.change_service, actions.delete_services
    )


@admin.register(GatewayToken)
class GatewayTokenAdmin(TenantScopedAdmin):
    """Keys for `POST /api/interactions/`. The key is shown once, when the token is
    added; only its hash is kept. Untick Active to refuse a key at once."""

    list_display = ["name", "key_prefix", "active", "created_at", "last_used_at"]
    list_filter = ["active"]
    search_fields = ["name", "key_prefix"]
    fieldsets = [
        (None, {"fields": ["tenant", "name", "active"]}),
        (
            gettext_lazy("Usage"),
            {"fields": ["key_prefix", "created_at", "last_used_at"]},
        ),
    ]
    readonly_fields = ["key_prefix", "created_at", "last_used_at"]
    writers = Writers(
        change=actions.change_gateway_token, delete=actions.delete_gateway_tokens
    )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key = actions.issue_gateway_token(obj, actor=request.user)
        self.message_user(
            request,
            _(
                "Gateway token %(name)s created. Its key is shown this once; copy it "
                "into the gateway now: %(key)s"
            )
            % {"name": obj.name, "key": key},
            messages.WARNING,
        )
