"""Tenancy screens, for the service provider (superusers) only."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from ccadmin.models import Membership, Tenant


class SuperuserOnlyMixin:
    """Only the service provider manages tenants, memberships and user accounts:
    these screens are not scoped to a tenant, so a tenant's staff never sees them."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class MembershipInline(SuperuserOnlyMixin, admin.TabularInline):
    """The users of a tenant."""

    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    """Contact centers hosted by the service provider, with their partition limit."""

    list_display = ["name", "slug", "client_partition_limit"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def has_delete_permission(self, request, obj=None):
        # Deleting a whole contact center is not an admin click: the stock confirmation
        # would walk every row of every client (DESIGN.md).
        return False


@admin.register(Membership)
class MembershipAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    """Which tenant each administrator and agent works for."""

    list_display = ["user", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["user__username", "tenant__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "tenant"]


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class ContactCenterUserAdmin(SuperuserOnlyMixin, UserAdmin):
    """User accounts, managed by the service provider."""

    inlines = [MembershipInline]


@admin.register(Group)
class ContactCenterGroupAdmin(SuperuserOnlyMixin, GroupAdmin):
    """Roles (groups of permissions), managed by the service provider."""
