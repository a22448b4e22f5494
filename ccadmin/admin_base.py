"""The tenant-scoped admin every model of a contact center uses.

A tenant's administrators (staff users with a Membership) see and change only their
tenant's rows: another tenant's object is treated as if it did not exist. Superusers
(the service provider) see every tenant, with a tenant column and filter.
"""

import re
from collections.abc import Callable
from functools import wraps
from typing import NamedTuple

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.widgets import (
    ForeignKeyRawIdWidget,
    RelatedFieldWidgetWrapper,
)
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.forms import ModelChoiceField
from django.http import HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext

from ccadmin.scoping import client_field_of
from ccadmin.tenancy import chosen_clients, tenant_of

TENANT_FIELD = "tenant"

# The longest search the admin runs (a list's ?q=, an autocomplete's ?term=): a name,
# an address or a phone is far shorter, and each word of a longer one is one more
# LIKE over every searched column.
SEARCH_MAX_LENGTH = 200
SEARCH_PARAMETERS = ("q", "term")
# C0 and C1 control characters, NUL included: no search or filter value holds them,
# and PostgreSQL refuses a NUL in a query string (the 500 the attack found).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def unsafe_query_message(request) -> str | None:
    """Why the admin refuses this request's query string, or None: a control
    character in any parameter (search, filter, autocomplete term, page, ...), or a
    search term longer than SEARCH_MAX_LENGTH."""
    for key, values in request.GET.lists():
        if any(_CONTROL_CHARACTERS.search(text) for text in (key, *values)):
            return gettext(
                "Searches and filters cannot contain control characters (such as "
                "NUL, tab or line breaks)."
            )
    for name in SEARCH_PARAMETERS:
        for value in request.GET.getlist(name):
            if len(value) > SEARCH_MAX_LENGTH:
                return gettext(
                    "Search terms are at most %(limit)s characters; this one has "
                    "%(length)s."
                ) % {"limit": SEARCH_MAX_LENGTH, "length": f"{len(value):,}"}
    return None


def refusing_unsafe_queries(site: admin.AdminSite, view: Callable) -> Callable:
    """Wrap an admin view so that a query string it must not run answers 400 with
    the reason (unsafe_query_message): a page in the admin's layout, or JSON
    `{"error": ...}` for the autocomplete. Applied to every admin view by the site
    (ccadmin.sites), so every list, filter and autocomplete is covered."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        message = unsafe_query_message(request)
        if message is None:
            return view(request, *args, **kwargs)
        if request.path.rstrip("/").endswith("/autocomplete"):
            return JsonResponse({"error": message}, status=400)
        context = {
            **site.each_context(request),
            "title": gettext("This search cannot be run"),
            "message": message,
            "back": request.path,
        }
        return TemplateResponse(request, "admin/unsafe_query.html", context, status=400)

    return checked


def _is_tenant_scoped(model: type[models.Model]) -> bool:
    """Whether the model's rows belong to a tenant (its manager has visible_to)."""
    return hasattr(model._default_manager, "visible_to")


# The select a foreign key to one of these models gets in every tenant-scoped admin,
# by model label ("app.Model"). A feature app registers its own (partitions: the
# client partition select) from its AppConfig.ready(), so this base names no feature
# app. A registered field takes `show_tenant`: a superuser picks among every tenant's
# rows and needs the tenant in each label.
CHOICE_FIELDS: dict[str, type[ModelChoiceField]] = {}
# Models whose selects get none of the stock add / change / delete / view links
# beside them (by model label). Beside a client partition select, the stock delete
# link (an "x") reads as "clear the selection" but opens the deletion of the whole
# client and all its data.
WITHOUT_RELATED_LINKS: set[str] = set()


def register_choice_field(
    model_label: str,
    form_class: type[ModelChoiceField],
    *,
    related_links: bool = True,
) -> None:
    """Offer foreign keys to `model_label` ("app.Model") with `form_class` in every
    tenant-scoped admin form; with `related_links=False`, without the stock links
    to add, change, delete or view the chosen object beside the select."""
    CHOICE_FIELDS[model_label] = form_class
    if not related_links:
        WITHOUT_RELATED_LINKS.add(model_label)


# How the service provider's Tenants screen learns each tenant's use of what a feature
# app limits (partitions: "17 of 10 client partitions used"), registered from that
# app's ready() so that ccadmin names no feature app: `every()` gives
# {tenant id: usage} for the list, `one(tenant)` the usage of one tenant. A usage
# prints as its count and has `warning`: what it means when over the limit, or None.
TENANT_USAGES: list[tuple[Callable, Callable]] = []


def register_tenant_usage(every: Callable, one: Callable) -> None:
    """Show a feature's usage per tenant on the Tenants screen (see TENANT_USAGES)."""
    TENANT_USAGES.append((every, one))


def drop_related_links(db_field, formfield):
    """Remove the add / change / delete / view links the admin puts beside the
    select of `db_field` when its model is registered without them
    (register_choice_field). Returns `formfield`."""
    widget = getattr(formfield, "widget", None)
    related = getattr(db_field, "related_model", None)
    if (
        isinstance(widget, RelatedFieldWidgetWrapper)
        and related is not None
        and related._meta.label in WITHOUT_RELATED_LINKS
    ):
        widget.can_add_related = False
        widget.can_change_related = False
        widget.can_delete_related = False
        widget.can_view_related = False
    return formfield


def _offer_only_tenant(form, tenant_id: int) -> None:
    """Narrow every select of another tenant-owned record in `form` (a class made
    for one request by get_form) to the rows of `tenant_id`.

    A superuser sees every tenant's rows, but a record's contact, company, service,
    email and client partition must be its own tenant's (ccadmin.same_tenant): on
    the change form of an existing record, whose tenant is fixed, only those are
    offered, and another is refused as an invalid choice. On the add form the
    tenant is chosen in the form itself: the model's validation refuses a mismatch.
    """
    for field in form.base_fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is None or not _is_tenant_scoped(queryset.model):
            continue
        if queryset.model._meta.model_name == "tenant":
            continue
        try:
            queryset.model._meta.get_field(TENANT_FIELD)
        except FieldDoesNotExist:
            continue
        field.queryset = queryset.filter(**{f"{TENANT_FIELD}_id": tenant_id})
        widget = getattr(field.widget, "widget", field.widget)
        if isinstance(widget, TenantRawIdWidget):
            widget.queryset = field.queryset


class TenantRawIdWidget(ForeignKeyRawIdWidget):
    """The admin's raw-id box (a contact by its number), showing the name beside the
    number only for an object the viewer may see.

    The stock widget looks the number up in every tenant: typing numbers into an
    Email's contact box would have listed other contact centers' contacts by name.
    """

    def __init__(self, rel, admin_site, attrs=None, using=None, *, queryset):
        self.queryset = queryset
        super().__init__(rel, admin_site, attrs, using)

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            visible = self.queryset.filter(**{key: value}).exists()
        except (ValueError, ValidationError):
            visible = False
        return super().label_and_url_for_value(value) if visible else ("", "")


class ReadOnlyRecords:
    """An admin of records nobody writes by hand (the audit trail, deletion and
    erasure certificates): listed and read, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class Writers(NamedTuple):
    """The actions an admin writes its model with (its app's `actions.py`):
    `add(obj, actor=...)`, `change(obj, actor=...)`, `delete(objs, actor=...)`;
    None for a write the admin never makes."""

    add: Callable | None = None
    change: Callable | None = None
    delete: Callable | None = None


class WrittenByActions:
    """An admin whose saves and deletes go through its app's `actions.py`, which
    audits them (ccadmin.audit): the admin's own logging is off, once, here.

    An admin names its `writers`, or overrides save_model/delete_model/
    delete_queryset itself.
    """

    writers = Writers()

    def _writer(self, name: str) -> Callable:
        writer = getattr(self.writers, name)
        if writer is None:
            # Saving with the stock ModelAdmin would write an unaudited row.
            raise NotImplementedError(
                f"{type(self).__name__} must write through its app's actions "
                f"(name its writers.{name} or override the admin's save/delete "
                "hooks)."
            )
        return writer

    def save_model(self, request, obj, form, change):
        self._writer("change" if change else "add")(obj, actor=request.user)

    def delete_model(self, request, obj):
        self._writer("delete")([obj], actor=request.user)

    def delete_queryset(self, request, queryset):
        # The stock "Delete selected" ends here: through the action too.
        self._writer("delete")(queryset, actor=request.user)

    # The actions audit every write, with before and after values; an entry from the
    # admin as well would be a second one for the same write.
    def log_addition(self, request, obj, message):
        """No entry here: the action that saved `obj` wrote it."""

    def log_change(self, request, obj, message):
        """No entry here: the action that saved `obj` wrote it."""

    def log_deletions(self, request, queryset):
        """No entry here: the action that deletes the objects writes them."""


class TenantScopedAdmin(WrittenByActions, admin.ModelAdmin):
    """ModelAdmin for a model with a `tenant` field, scoped to the viewer's tenant,
    writing through its app's actions (WrittenByActions)."""

    def extra_page(self, route: str, view) -> list:
        """The URL of a screen of this admin beyond the stock ones (an import page,
        an export page), behind the admin's sign-in and named
        "<app>_<model>_<last word of the route>", e.g. contacts_contact_import."""
        word = route.strip("/").rsplit("/", 1)[-1]
        name = f"{self.opts.app_label}_{self.opts.model_name}_{word}"
        return [path(route, self.admin_site.admin_view(view), name=name)]

    def viewer_tenant(self, request):
        """The tenant whose rows this request may see; None for superusers."""
        return None if request.user.is_superuser else tenant_of(request.user)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).visible_to(request.user)
        if request.user.is_superuser:
            return queryset.select_related(TENANT_FIELD)
        return queryset

    def response_action(self, request, queryset, **kwargs):
        """Refuse a forged selection (ids that are not ids) with a message: the
        stock admin passes them to the database and answers 500."""
        pk_field = self.model._meta.pk
        try:
            for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                pk_field.clean(value, None)  # a number, and in the column's range
        except ValidationError:
            self.message_user(
                request, gettext("The selection is not valid."), messages.WARNING
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset, **kwargs)

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if request.user.is_superuser:
            columns.insert(1, TENANT_FIELD)
        return columns

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser:
            filters.insert(0, TENANT_FIELD)
        return filters

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            if self.fieldsets and not any(
                TENANT_FIELD in opts.get("fields", ()) for _name, opts in fieldsets
            ):
                fieldsets = [(None, {"fields": [TENANT_FIELD]}), *fieldsets]
            return fieldsets
        return [
            (
                name,
                {
                    **opts,
                    "fields": [f for f in opts["fields"] if f != TENANT_FIELD],
                },
            )
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and request.user.is_superuser:
            # Moving a record between tenants would break every link it has.
            readonly.append(TENANT_FIELD)
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        tenant = self.viewer_tenant(request)
        # A member of chosen clients picks one of them (the select offers only
        # those, through visible_to); "none" would make a row they cannot see.
        client_field = (
            client_field_of(self.model)
            if chosen_clients(request.user) is not None
            else None
        )
        if tenant is None:
            if obj is not None and obj.pk is not None:
                _offer_only_tenant(form, obj.tenant_id)
            return form

        class TenantBoundForm(form):
            """Sets the viewer's tenant before validation, so that model rules and
            unique constraints that involve the tenant are checked."""

            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                if self.instance.tenant_id is None:
                    self.instance.tenant = tenant
                if isinstance(client_field, str) and client_field in self.fields:
                    self.fields[client_field].required = True

            def _get_validation_exclusions(self):
                exclusions = super()._get_validation_exclusions()
                exclusions.discard(TENANT_FIELD)
                return exclusions

        TenantBoundForm.__name__ = form.__name__
        return TenantBoundForm

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The stock admin wraps the select in its related-links widget here, after
        # formfield_for_foreignkey / formfield_for_manytomany.
        return drop_related_links(
            db_field, super().formfield_for_dbfield(db_field, request, **kwargs)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if _is_tenant_scoped(related):
            queryset = kwargs.get("queryset", related._default_manager.all())
            queryset = queryset.visible_to(request.user)
            if request.user.is_superuser:
                queryset = queryset.select_related(TENANT_FIELD)
            kwargs["queryset"] = queryset
            if db_field.name in self.raw_id_fields and "widget" not in kwargs:
                kwargs["widget"] = TenantRawIdWidget(
                    db_field.remote_field,
                    self.admin_site,
                    using=kwargs.get("using"),
                    queryset=queryset,
                )
        form_class = CHOICE_FIELDS.get(related._meta.label)
        if form_class is not None:
            kwargs.setdefault("form_class", form_class)
            kwargs.setdefault("show_tenant", request.user.is_superuser)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
