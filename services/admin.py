"""Services & Campaigns: a tenant's services and the client partition each serves."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ccadmin.admin_base import TenantPartitionFilter, TenantScopedAdmin
from services.models import Service


@admin.register(Service)
class ServiceAdmin(TenantScopedAdmin):
    """A service's Properties carry the Client Partition select (same tenant only)."""

    list_display = ["name", "type", "client_partition"]
    list_filter = ["type", ("client_partition", TenantPartitionFilter)]
    search_fields = ["name"]
    list_select_related = ["client_partition"]
    fieldsets = [
        (None, {"fields": ["name", "type"]}),
        (_("Properties"), {"fields": ["client_partition"]}),
    ]
