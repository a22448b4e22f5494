"""Tenancy screens, for the service provider (superusers) only, and the Audit trail
of each tenant, for its administrators.

Tenants and memberships are written through ccadmin.actions, which audits them; user
accounts and groups are Django's own, saved and logged by Django's admin."""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _

from ccadmin import actions, audit
from ccadmin.admin_base import Writers, WrittenByActions
from ccadmin.models import AuditEntry, Membership, Tenant


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


class MembershipsThroughActions:
    """Saves the Membership inline through ccadmin.actions, so each membership added,
    changed or removed on a tenant's or a user's page is audited like any other."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        actions.delete_memberships(formset.deleted_objects, actor=request.user)
        for membership, _fields in formset.changed_objects:
            actions.change_membership(membership, actor=request.user)
        for membership in formset.new_objects:
            actions.add_membership(membership, actor=request.user)
        return None


@admin.register(Tenant)
class TenantAdmin(
    MembershipsThroughActions, WrittenByActions, SuperuserOnlyMixin, admin.ModelAdmin
):
    """Contact centers hosted by the service provider, with their partition limit."""

    list_display = ["name", "slug", "client_partition_limit"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    writers = Writers(add=actions.add_tenant, change=actions.change_tenant)

    def has_delete_permission(self, request, obj=None):
        # Deleting a whole contact center is not an admin click: the stock confirmation
        # would walk every row of every client (docs/design.md, "Never list what is
        # deleted").
        return False


@admin.register(Membership)
class MembershipAdmin(WrittenByActions, SuperuserOnlyMixin, admin.ModelAdmin):
    """Which tenant each administrator and agent works for."""

    list_display = ["user", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["user__username", "tenant__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "tenant"]
    writers = Writers(
        actions.add_membership, actions.change_membership, actions.delete_memberships
    )


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class ContactCenterUserAdmin(MembershipsThroughActions, SuperuserOnlyMixin, UserAdmin):
    """User accounts, managed by the service provider."""

    inlines = [MembershipInline]


@admin.register(Group)
class ContactCenterGroupAdmin(SuperuserOnlyMixin, GroupAdmin):
    """Roles (groups of permissions), managed by the service provider."""


@admin.register(AuditEntry)
class AuditTrailAdmin(admin.ModelAdmin):
    """The Audit trail: every add, change, enable, disable, delete, export and import
    of a tenant's objects, from the admin or the command line, read-only.

    A tenant's administrators read their own tenant's entries, those of deleted
    client partitions included (ccadmin.AuditScope); the service provider reads all.
    """

    list_display = [
        "action_time",
        "user",
        "action_flag",
        "content_type",
        "object_repr",
        "what",
    ]
    list_filter = ["action_flag", ("content_type", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["object_repr", "change_message", "user__username"]
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]
    fields = [
        "action_time",
        "user",
        "action_flag",
        "content_type",
        "object_id",
        "object_repr",
        "what",
    ]
    readonly_fields = fields

    @admin.display(description=_("what was done"))
    def what(self, entry: AuditEntry) -> str:
        """The stock message, with the values before and after a change."""
        return audit.describe(entry)

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    # The trail is a record: nobody adds, edits or deletes its entries here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Sign-in lockouts (django-axes). The records name usernames and addresses of every
# tenant, and of people with no account at all, so they belong to the service provider
# alone: shown to superusers only, whatever permissions a group is given.
class SigninRecordAccess(SuperuserOnlyMixin):
    """Superusers read and delete sign-in records; nobody adds one by hand (sign-ins
    write them)."""

    def has_add_permission(self, request, *args):
        return False


for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    admin.site.unregister(_model)


@admin.register(AccessAttempt)
class SigninLockoutAdmin(SigninRecordAccess, AccessAttemptAdmin):
    """Failed sign-ins per username and address; a row at the failure limit is a
    lockout. Deleting the row unlocks that username at that address."""


@admin.register(AccessLog)
class SigninLogAdmin(SigninRecordAccess, AccessLogAdmin):
    """Successful sign-ins and sign-outs."""


@admin.register(AccessFailureLog)
class SigninFailureLogAdmin(SigninRecordAccess, AccessFailureLogAdmin):
    """Each failed sign-in (kept only with AXES_ENABLE_ACCESS_FAILURE_LOG)."""
