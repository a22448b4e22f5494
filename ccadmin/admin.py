"""Tenancy screens: tenants and accounts for the service provider (superusers) only;
People and the Audit trail of each tenant, for its administrators.

Tenants and memberships are written through ccadmin.actions, which audits them; user
accounts and groups are Django's own, saved and logged by Django's admin."""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ccadmin import actions, people
from ccadmin.admin_base import (
    TENANT_USAGES,
    TenantScopedAdmin,
    Writers,
    WrittenByActions,
)
from ccadmin.api_tokens import AUTH_SCHEME
from ccadmin.audit_admin import AuditTrailAdmin
from ccadmin.models import ApiToken, AuditEntry, Membership, Tenant
from ccadmin.people_forms import LINK, PeopleImportForm, PersonForm
from ccadmin.people_import import PeopleImportError, import_people
from ccadmin.roles import ROLES


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
    readonly_fields = ["usage"]
    writers = Writers(add=actions.add_tenant, change=actions.change_tenant)

    def get_list_display(self, request):
        # Each feature's usage counted once for the whole list (one query), not
        # once per row.
        counted = [None] * len(TENANT_USAGES)

        def usage(tenant: Tenant):
            parts = []
            for i, (every, _one) in enumerate(TENANT_USAGES):
                if counted[i] is None:
                    counted[i] = every()
                found = counted[i].get(tenant.pk)
                if found is not None:
                    parts.append(found)
            return _usage_html(parts)

        usage.short_description = _("used")
        return [*super().get_list_display(request), usage]

    @admin.display(description=_("used"))
    def usage(self, tenant: Tenant):
        """How much of each limit the tenant uses, and what an over-limit means."""
        if tenant is None or tenant.pk is None:
            return "-"
        return _usage_html([one(tenant) for _every, one in TENANT_USAGES])

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A limit set below what the tenant has is allowed (nothing is deleted): the
        # service provider is told what it means at once.
        for _every, one in TENANT_USAGES:
            warning = one(obj).warning
            if warning:
                self.message_user(request, warning, messages.WARNING)

    def has_delete_permission(self, request, obj=None):
        # Deleting a whole contact center is not an admin click: the stock confirmation
        # would walk every row of every client (docs/design.md, "Never list what is
        # deleted").
        return False


def _usage_html(usages: list) -> str:
    """Usages for the Tenants screen: each count, and an over-limit's warning."""
    return (
        format_html_join(
            "",
            "{}",
            (
                (
                    format_html(
                        '<strong class="usage-over-limit">{}</strong>', u.warning
                    )
                    if u.warning
                    else format_html("<span>{}</span>", u),
                )
                for u in usages
            ),
        )
        or "-"
    )


class RoleFilter(admin.SimpleListFilter):
    """Filter People by role (only the three roles: the stock filter on groups
    would list every group of the service provider)."""

    title = _("Role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return people.role_choices()

    def queryset(self, request, queryset):
        if self.value() in ROLES:
            return queryset.filter(user__groups__name=self.value())
        return queryset


@admin.register(Membership)
class PeopleAdmin(TenantScopedAdmin):
    """Tenancy > People: a tenant's administrators add their people, set each one's
    role and clients, deactivate them and see when they last signed in; superusers
    see every tenant's. Every write goes through ccadmin.actions (see
    ccadmin.people for the rules); nobody deletes a person here."""

    form = PersonForm
    list_display = [
        "username",
        "full_name",
        "email",
        "role",
        "clients",
        "active",
        "last_sign_in",
    ]
    list_filter = [RoleFilter, "user__is_active", "all_client_partitions"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
    ]
    list_select_related = ["user", "tenant"]
    ordering = ["user__username"]
    actions = ["deactivate", "reactivate", "set_password_links"]
    readonly_fields = ["active", "last_sign_in"]

    def get_urls(self):
        return [*self.extra_page("import/", self.import_view), *super().get_urls()]

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .prefetch_related("user__groups", "client_partitions")
        )
        if not request.user.is_superuser:
            # The service provider's accounts are nobody's people.
            queryset = queryset.exclude(user__is_superuser=True)
        return queryset

    def get_fieldsets(self, request, obj=None):
        account = ["username", "first_name", "last_name", "email", "role"]
        if request.user.is_superuser:
            account.insert(0, "tenant")  # read-only once added
        fieldsets = [
            (None, {"fields": account}),
            (_("Clients"), {"fields": ["all_clients", "clients"]}),
        ]
        if obj is None:
            sign_in = ["sign_in", "password1", "password2"]
            fieldsets.append((_("First sign-in"), {"fields": sign_in}))
        else:
            fieldsets.append((_("Status"), {"fields": ["active", "last_sign_in"]}))
        return fieldsets

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        viewer = request.user
        visible_clients = people.client_model().objects.visible_to(viewer)

        class PersonFormForViewer(form):
            """The form for this request: who edits, and only the clients they
            see (another tenant's client id posted is an invalid choice)."""

            actor = viewer

            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                field = self.fields.get("clients")
                if field is not None:
                    field.queryset = field.queryset & visible_clients

        PersonFormForViewer.__name__ = form.__name__
        return PersonFormForViewer

    def has_delete_permission(self, request, obj=None):
        # People are deactivated, never deleted: the audit trail keeps their name.
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The actions check again, under the tenant's lock, what the form checked: a
        # refusal there (another administrator changed something meanwhile) is said
        # on the page rather than answered with a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        actor = request.user
        if not change:
            added = actions.add_person(obj.tenant, form.new_person(), actor=actor)
            obj.pk, obj.user = added.pk, added.user
            obj._state.adding = False
            if form.cleaned_data.get("sign_in") == LINK:
                [(_person, path)] = actions.make_set_password_links(
                    [added], actor=actor
                )
                self._show_links(request, [(added, path)])
            return
        data = form.cleaned_data
        details = {"username", "first_name", "last_name", "email"}
        if details & set(form.changed_data):
            actions.change_person(
                obj,
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                actor=actor,
            )
        if "role" in form.changed_data:
            actions.set_person_role(obj, data["role"], actor=actor)
        if {"all_clients", "clients"} & set(form.changed_data):
            actions.set_person_clients(obj, form.chosen_clients(), actor=actor)

    def save_related(self, request, form, formsets, change):
        """Nothing more to save: the clients were set by the action."""

    def _show_links(self, request, links) -> None:
        for membership, path in links:
            self.message_user(
                request,
                _(
                    "Set-password link for %(user)s, shown this once; give it to "
                    "them (it works once, for %(days)s days): %(url)s"
                )
                % {
                    "user": membership.user.get_username(),
                    "days": settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60),
                    "url": request.build_absolute_uri(path),
                },
                messages.WARNING,
            )

    @admin.display(description=_("username"), ordering="user__username")
    def username(self, membership):
        return membership.user.get_username()

    @admin.display(description=_("name"), ordering="user__last_name")
    def full_name(self, membership):
        return membership.user.get_full_name()

    @admin.display(description=_("email address"), ordering="user__email")
    def email(self, membership):
        return membership.user.email

    @admin.display(description=_("Role"))
    def role(self, membership):
        return people.role_label(people.role_of(membership.user))

    @admin.display(description=_("clients"))
    def clients(self, membership):
        return people.clients_label(membership)

    @admin.display(description=_("active"), boolean=True, ordering="user__is_active")
    def active(self, membership):
        return membership.user.is_active

    @admin.display(description=_("Last sign-in"), ordering="user__last_login")
    def last_sign_in(self, membership):
        if membership.user.last_login is None:
            return _("Never")
        return formats.localize(timezone.localtime(membership.user.last_login))

    def _refusing(self, request, operation) -> None:
        try:
            operation()
        except (ValidationError, PermissionDenied) as exc:
            messages_ = exc.messages if isinstance(exc, ValidationError) else [exc]
            self.message_user(request, " ".join(map(str, messages_)), messages.ERROR)

    @admin.action(permissions=["change"], description=_("Deactivate selected people"))
    def deactivate(self, request, queryset):
        def run():
            count = actions.deactivate_people(queryset, actor=request.user)
            self.message_user(
                request,
                ngettext(
                    "Deactivated %(count)s person.",
                    "Deactivated %(count)s people.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )

        self._refusing(request, run)

    @admin.action(permissions=["change"], description=_("Reactivate selected people"))
    def reactivate(self, request, queryset):
        def run():
            count = actions.reactivate_people(queryset, actor=request.user)
            self.message_user(
                request,
                ngettext(
                    "Reactivated %(count)s person.",
                    "Reactivated %(count)s people.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )

        self._refusing(request, run)

    @admin.action(
        permissions=["change"],
        description=_("Make set-password links for selected people"),
    )
    def set_password_links(self, request, queryset):
        def run():
            links = actions.make_set_password_links(queryset, actor=request.user)
            if not links:
                self.message_user(
                    request, _("No active person selected."), messages.WARNING
                )
            self._show_links(request, links)

        self._refusing(request, run)

    def import_view(self, request):
        """ "Import people": the same import as `manage.py import_people`, into the
        administrator's own tenant (a superuser picks one)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        tenant = self.viewer_tenant(request)
        result = None
        if request.method == "POST":
            form = PeopleImportForm(request.POST, request.FILES, tenant=tenant)
            if form.is_valid():
                result = self._run_import(request, form)
        else:
            form = PeopleImportForm(tenant=tenant)
        links = []
        if result is not None and result.added:
            links = [
                (m, request.build_absolute_uri(path))
                for m, path in actions.make_set_password_links(
                    result.added, actor=request.user
                )
            ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import people"),
            "opts": self.opts,
            "form": form,
            "result": result,
            "links": links,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/ccadmin/membership/import.html", context
        )

    def _run_import(self, request, form):
        upload = form.cleaned_data["file"]
        try:
            result = import_people(
                upload.file,
                tenant=form.cleaned_data["tenant"],
                actor=request.user,
                atomic=form.cleaned_data["atomic"],
                source=upload.name,
            )
        except PeopleImportError as exc:
            form.add_error("file", str(exc))
            return None
        level = messages.WARNING if result.refused else messages.SUCCESS
        self.message_user(request, result.describe(), level)
        return result


class ApiTokenForm(forms.ModelForm):
    """A new personal API token: its name and how many days it lasts."""

    expires_days = forms.IntegerField(label=_("Expires after (days)"), required=False)

    class Meta:
        model = ApiToken
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_days"].help_text = _(
            "Empty: the token never expires. At most %(max)s days."
        ) % {"max": ApiToken.MAX_LIFETIME_DAYS}

    def clean_expires_days(self):
        days = self.cleaned_data.get("expires_days")
        try:
            # The model's rule, not a copy of it in the form.
            ApiToken().set_lifetime(days)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["expires_days"]) from exc
        return days


class ApiTokenStatusFilter(admin.SimpleListFilter):
    """Filter API tokens by status: active, expired or revoked."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return ApiToken.Status.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        expired = Q(expires_at__isnull=False, expires_at__lte=now)
        if self.value() == ApiToken.Status.REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == ApiToken.Status.EXPIRED:
            return queryset.filter(expired, revoked_at__isnull=True)
        if self.value() == ApiToken.Status.ACTIVE:
            return queryset.filter(revoked_at__isnull=True).exclude(expired)
        return queryset


class _TokenRefused(Exception):
    """The action refused to make a token the form had accepted."""


@admin.register(ApiToken)
class ApiTokenAdmin(TenantScopedAdmin):
    """Tenancy > API tokens: personal keys for the administration API.

    Everyone with admin access makes, lists and revokes their own tokens; a
    tenant's administrators see and revoke every token of their tenant; superusers
    see all (ApiToken.objects.visible_to). The key is shown once, on the page that
    answers the "Save" (never stored, nor put in a message, a session or a cookie);
    only its hash is kept. A token is never edited nor deleted: it is revoked, and
    stays listed as revoked.
    """

    form = ApiTokenForm
    list_display = [
        "name",
        "username",
        "key_prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "status_label",
    ]
    list_filter = [ApiTokenStatusFilter]
    search_fields = ["name", "key_prefix", "user__username"]
    list_select_related = ["user"]
    actions = ["revoke_selected"]
    readonly_fields = [
        "name",
        "username",
        "key_prefix",
        "status_label",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]

    def get_urls(self):
        return [
            *self.extra_page("<path:object_id>/revoke/", self.revoke_view),
            *super().get_urls(),
        ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["name", "expires_days"]})]
        owner = ["name", "username"]
        if request.user.is_superuser:
            owner.append("tenant")
        return [
            (None, {"fields": owner}),
            (
                _("Usage"),
                {
                    "fields": [
                        "key_prefix",
                        "status_label",
                        "created_at",
                        "expires_at",
                        "last_used_at",
                        "revoked_at",
                    ]
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [*self.readonly_fields, "tenant"]

    # Nothing of a token is edited (its page is read-only) nor deleted: revoking is
    # the one change, with its own permission check (has_revoke_permission).
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request, obj=None):
        """Revoking is changing the token: the change permission."""
        return request.user.has_perm(f"{self.opts.app_label}.change_apitoken")

    @admin.display(description=_("user"), ordering="user__username")
    def username(self, token: ApiToken) -> str:
        return token.user.get_username()

    @admin.display(description=_("status"))
    def status_label(self, token: ApiToken) -> str:
        return ApiToken.Status(token.status()).label

    def save_model(self, request, obj, form, change):
        # Only adds reach here (nothing is changed): made for the person signed in.
        try:
            token, key = actions.create_api_token(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_days=form.cleaned_data["expires_days"],
                actor=request.user,
            )
        except (ValidationError, PermissionDenied) as exc:
            text = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise _TokenRefused(" ".join(text)) from exc
        obj.pk, obj.user = token.pk, token.user
        obj._state.adding = False
        # Held by this request's object only, for response_add to show.
        obj.shown_once = (token, key)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _TokenRefused as exc:
            # Checked again by the action (a person deactivated meanwhile): said on
            # the page, not answered with a 500.
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def response_add(self, request, obj, post_url_continue=None):
        """The key, shown this once, on the page answering the POST: a redirect
        would have to carry it in the session until the next page."""
        token, key = obj.shown_once
        context = {
            **self.admin_site.each_context(request),
            "title": _("Copy your new API token"),
            "opts": self.opts,
            "token": token,
            "key": key,
            "header": f"Authorization: {AUTH_SCHEME} {key}",
        }
        request.current_app = self.admin_site.name
        # Neither the browser nor a proxy keeps the page: every admin view is
        # never_cache ("no-store", checked by the tests).
        return TemplateResponse(request, "admin/ccadmin/apitoken/key.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        token = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "can_revoke": token is not None
            and token.revoked_at is None
            and self.has_revoke_permission(request, token),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def revoke_view(self, request, object_id):
        """The "Revoke" button of a token's page (POST with its CSRF token; a GET
        changes nothing). Another tenant's token, or another person's for whoever
        may not see it, is not found."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        token = self.get_object(request, unquote(object_id))
        if token is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_revoke_permission(request, token):
            raise PermissionDenied
        self._revoke(request, [token])
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_apitoken_change", args=[token.pk])
        )

    @admin.action(permissions=["revoke"], description=_("Revoke selected API tokens"))
    def revoke_selected(self, request, queryset):
        self._revoke(request, queryset)

    def _revoke(self, request, tokens) -> None:
        try:
            count = actions.revoke_api_tokens(tokens, actor=request.user)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            ngettext(
                "Revoked %(count)s API token: its key is refused from now on.",
                "Revoked %(count)s API tokens: their keys are refused from now on.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
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


# The Audit trail's list, filters and pages (ccadmin.audit_admin).
admin.site.register(AuditEntry, AuditTrailAdmin)


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
