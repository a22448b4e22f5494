"""The Audit trail screens: a compact list (who, when, what, which object; one line a
row at 1366 px), a readable page per entry, and filters that each return something.

The entries are Django's LogEntry rows written by ccadmin.audit; this module only
reads them, scoped by `visible_to` (ccadmin.scoping) like every other screen.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _

from ccadmin import audit
from ccadmin.admin_base import ReadOnlyRecords
from ccadmin.models import AuditEntry, AuditScope

# How much of an entry's message and object name the list shows; the rest is in the
# cell's title (shown on hover) and on the entry's page.
LIST_MESSAGE_CHARS = 90
LIST_OBJECT_CHARS = 40


def local_time(value) -> str:
    """A time as the trail shows it: "2026-12-01 09:45 JST", in the reader's zone
    (ccadmin.zones), always with the zone's name."""
    when = timezone.localtime(value)
    return f"{when:%Y-%m-%d %H:%M} {when.tzname()}"


class ActionFilter(admin.SimpleListFilter):
    """Filter by what was done: added, changed, deleted, exported."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(str(flag), label) for flag, label in audit.ACTION_LABELS.items()]

    def queryset(self, request, queryset):
        if self.value() in {str(flag) for flag in audit.ACTION_LABELS}:
            return queryset.filter(action_flag=int(self.value()))
        return queryset


class ObjectTypeFilter(admin.RelatedOnlyFieldListFilter):
    """Filter by the kind of object: only kinds the reader's entries hold, by their
    plural names ("Client partitions"). No "-" (no kind) choice: every entry the
    actions write names its object's kind, so that choice only ever gave nothing."""

    include_empty_choice = False

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = _("object type")

    def field_choices(self, field, request, model_admin):
        present = (
            model_admin.get_queryset(request)
            .order_by()
            .values_list("content_type_id", flat=True)
            .distinct()
        )
        choices = []
        for content_type_id in present:
            if content_type_id is None:
                continue
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            name = (
                capfirst(model._meta.verbose_name_plural)
                if model is not None
                else ContentType.objects.get_for_id(content_type_id).model
            )
            choices.append((content_type_id, str(name)))
        return sorted(choices, key=lambda choice: choice[1].casefold())


class UserFilter(admin.RelatedOnlyFieldListFilter):
    """Filter by who did it: only people with entries the reader sees."""

    def field_choices(self, field, request, model_admin):
        user_model = field.related_model
        ids = (
            model_admin.get_queryset(request)
            .order_by()
            .values_list("user_id", flat=True)
            .distinct()
        )
        users = user_model._default_manager.filter(pk__in=ids).order_by(
            user_model.USERNAME_FIELD
        )
        return [(user.pk, user.get_username()) for user in users]


class ClientFilter(admin.SimpleListFilter):
    """Filter by client (client partition): the clients of the reader's entries,
    deleted ones included (their entries outlive them), and "No client"."""

    title = _("client")
    parameter_name = "client"
    NONE = "none"

    def lookups(self, request, model_admin):
        ids = set(
            model_admin.get_queryset(request)
            .filter(audit_scope__client_partition__isnull=False)
            .order_by()
            .values_list("audit_scope__client_partition", flat=True)
            .distinct()
        )
        client_model = AuditScope._meta.get_field("client_partition").related_model
        names = dict(
            client_model._base_manager.filter(pk__in=ids).values_list("pk", "name")
        )
        choices = sorted(
            ((str(pk), names[pk]) for pk in ids if pk in names),
            key=lambda choice: choice[1].casefold(),
        )
        choices += [
            (str(pk), _("Deleted client (id %(id)s)") % {"id": pk})
            for pk in sorted(ids - set(names))
        ]
        return [*choices, (self.NONE, _("No client"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.NONE:
            return queryset.of_client(None)
        if value and value.isdigit():
            return queryset.of_client(int(value))
        return queryset


class AuditChangeList(ChangeList):
    """The list, with each row's object looked up once per kind of object on the
    page (so "linked when it still exists" costs a bounded number of queries)."""

    def get_results(self, request):
        super().get_results(request)
        self.model_admin.find_objects(request, self.result_list)


class AuditTrailAdmin(ReadOnlyRecords, admin.ModelAdmin):
    """The Audit trail: every add, change, enable, disable, delete, export and import
    of a tenant's objects, from the admin or the command line, read-only.

    A tenant's administrators read their own tenant's entries, those of deleted
    client partitions included (ccadmin.AuditScope); the service provider reads all.
    """

    list_display = ["when", "user", "action", "object", "what"]
    list_display_links = ["when"]
    list_filter = [
        ActionFilter,
        ("user", UserFilter),
        ClientFilter,
        ("content_type", ObjectTypeFilter),
        "action_time",
    ]
    search_fields = ["object_repr", "change_message", "user__username"]
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]
    fieldsets = [
        (None, {"fields": ["when", "user", "action"]}),
        (_("Object"), {"fields": ["object_type", "object", "object_id", "client"]}),
        (_("What was done"), {"fields": ["changes", "documents"]}),
    ]
    readonly_fields = [
        "when",
        "user",
        "action",
        "object_type",
        "object",
        "object_id",
        "client",
        "changes",
        "documents",
    ]

    def get_changelist(self, request, **kwargs):
        return AuditChangeList

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_object(self, request, object_id, from_field=None):
        entry = super().get_object(request, object_id, from_field)
        if entry is not None:
            self.find_objects(request, [entry])
        return entry

    def find_objects(self, request, entries) -> None:
        """Set each entry's `object_url`: its object's admin page when the object
        still exists and the reader may see it, else None. One query per kind of
        object among `entries`, through that kind's `visible_to` where it has one."""
        by_type = defaultdict(list)
        for entry in entries:
            entry.object_url = None
            if entry.content_type_id is not None:
                by_type[entry.content_type_id].append(entry)
        for content_type_id, group in by_type.items():
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            model_admin = self.admin_site._registry.get(model)
            if model_admin is None or not model_admin.has_view_permission(request):
                continue
            keys = {}
            for entry in group:
                try:
                    keys[entry] = model._meta.pk.to_python(entry.object_id)
                except ValidationError:
                    continue
            manager = model._default_manager
            visible = (
                manager.visible_to(request.user)
                if hasattr(manager, "visible_to")
                else manager.all()
            )
            found = set(
                visible.filter(pk__in=set(keys.values())).values_list("pk", flat=True)
            )
            opts = model._meta
            for entry, key in keys.items():
                if key in found:
                    try:
                        entry.object_url = reverse(
                            f"{self.admin_site.name}:{opts.app_label}_"
                            f"{opts.model_name}_change",
                            args=[key],
                        )
                    except NoReverseMatch:
                        entry.object_url = None

    @admin.display(description=_("when"), ordering="action_time")
    def when(self, entry: AuditEntry) -> str:
        return local_time(entry.action_time)

    @admin.display(description=_("action"), ordering="action_flag")
    def action(self, entry: AuditEntry) -> str:
        return audit.action_label(entry.action_flag)

    @admin.display(description=_("object type"))
    def object_type(self, entry: AuditEntry) -> str:
        if entry.content_type_id is None:
            return "-"
        model = entry.content_type.model_class()
        if model is None:
            return entry.content_type.model
        return str(capfirst(model._meta.verbose_name))

    @admin.display(description=_("object"), ordering="object_repr")
    def object(self, entry: AuditEntry) -> str:
        """The object's name, linked to its page while it exists; cut short in the
        list (the whole name in the title)."""
        name = entry.object_repr
        shown = Truncator(name).chars(LIST_OBJECT_CHARS)
        kind = self.object_type(entry)
        url = getattr(entry, "object_url", None)
        if url:
            return format_html(
                '<a href="{}" title="{}: {}">{}</a>', url, kind, name, shown
            )
        return format_html('<span title="{}: {}">{}</span>', kind, name, shown)

    @admin.display(description=_("client"))
    def client(self, entry: AuditEntry) -> str:
        scope = AuditScope.objects.filter(entry=entry).first()
        if scope is None or scope.client_partition_id is None:
            return str(_("No client"))
        client_model = AuditScope._meta.get_field("client_partition").related_model
        client = client_model._base_manager.filter(pk=scope.client_partition_id)
        name = client.values_list("name", flat=True).first()
        if name is None:
            return str(
                _("Deleted client (id %(id)s)") % {"id": scope.client_partition_id}
            )
        return name

    @admin.display(description=_("what was done"))
    def what(self, entry: AuditEntry) -> str:
        """The message with the values before and after a change, on one line; the
        whole of it in the title."""
        text = audit.describe(entry)
        return format_html(
            '<span title="{}">{}</span>',
            text,
            Truncator(text).chars(LIST_MESSAGE_CHARS),
        )

    @admin.display(description=_("details"))
    def changes(self, entry: AuditEntry) -> str:
        """The message as a list: the summary, then one line per changed field
        with its value before and after."""
        return format_html(
            '<ul class="audit-changes">{}</ul>',
            format_html_join(
                "", "<li>{}</li>", ((line,) for line in audit.lines(entry))
            ),
        )

    @admin.display(description=_("documents"))
    def documents(self, entry: AuditEntry) -> str:
        """Links to what the entry left behind (a deletion's certificate)."""
        links = audit.entry_links(entry)
        if not links:
            return "-"
        return format_html_join(" · ", '<a href="{}">{}</a>', links)
