"""Contacts, companies, emails and activity history, filterable by client partition."""

from django.contrib import admin

from ccadmin.admin_base import TenantPartitionFilter, TenantScopedAdmin
from contacts.models import Activity, Company, Contact, Email

PARTITION_FILTER = ("partition", TenantPartitionFilter)


@admin.register(Company)
class CompanyAdmin(TenantScopedAdmin):
    """The companies of a tenant's clients."""

    list_display = ["name", "partition"]
    list_filter = [PARTITION_FILTER]
    list_select_related = ["partition"]
    search_fields = ["name"]
    fields = ["tenant", "partition", "name"]


@admin.register(Contact)
class ContactAdmin(TenantScopedAdmin):
    """A tenant's contacts, with or without a BPO client."""

    list_display = ["__str__", "email", "phone", "company", "partition"]
    list_filter = [PARTITION_FILTER]
    list_select_related = ["partition", "company"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    fields = [
        "tenant",
        "partition",
        "first_name",
        "last_name",
        "title",
        "company",
        "email",
        "phone",
    ]


@admin.register(Email)
class EmailAdmin(TenantScopedAdmin):
    """Emails received and sent, per client."""

    list_display = ["subject", "sender", "direction", "sent_at", "partition"]
    list_filter = [PARTITION_FILTER, "direction"]
    list_select_related = ["partition"]
    search_fields = ["subject", "sender", "message_id"]
    date_hierarchy = "sent_at"
    fields = [
        "tenant",
        "partition",
        "direction",
        "sender",
        "recipients",
        "subject",
        "body",
        "message_id",
        "service",
        "contact",
        "sent_at",
    ]
    raw_id_fields = ["contact"]


@admin.register(Activity)
class ActivityAdmin(TenantScopedAdmin):
    """Activity history: calls, chats and emails handled, per client."""

    list_display = ["occurred_at", "channel", "direction", "contact", "partition"]
    list_filter = [PARTITION_FILTER, "channel", "direction"]
    list_select_related = ["partition", "contact"]
    search_fields = ["summary"]
    date_hierarchy = "occurred_at"
    fields = [
        "tenant",
        "partition",
        "channel",
        "direction",
        "service",
        "contact",
        "email",
        "occurred_at",
        "summary",
    ]
    raw_id_fields = ["contact", "email"]
