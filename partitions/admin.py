"""The Client Partitions screens of the Contact Center Administrator.

Every change goes through partitions.actions, so the limit, the locking and the audit
entries are the same here as on the command line.
"""

from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value, flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ccadmin.admin_base import ReadOnlyRecords, TenantScopedAdmin
from ccadmin.downloads import zip_download
from ccadmin.tenancy import client_scope
from partitions import actions, registry
from partitions.export import export_client_partition, export_filename
from partitions.export_store import stored_export
from partitions.limit import (
    ClientPartitionLimitReached,
    ensure_capacity,
    partition_usage,
    partition_usages,
)
from partitions.messages import toggled_message
from partitions.models import ClientPartition, DeletionCertificate
from partitions.offboarding import MAX_GRACE_DAYS, offboarding_label, purge_date
from partitions.queries import with_counts
from partitions.retention import RETENTION_FIELDS, may_set_retention
from partitions.selectors import deletion_progress, deletion_under_way


class ClientPartitionForm(forms.ModelForm):
    """The Properties of a client partition, checked against the limit on add."""

    class Meta:
        model = ClientPartition
        fields = [
            "tenant",
            "name",
            "description",
            "enabled",
            "retention_days",
            "legal_hold",
            "legal_hold_reason",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            tenant = cleaned.get("tenant") or (
                self.instance.tenant if self.instance.tenant_id else None
            )
            if tenant is not None:
                # An early, friendly check; the authoritative one runs under the
                # tenant lock in actions.create_client_partition.
                try:
                    ensure_capacity(tenant)
                except ClientPartitionLimitReached as exc:
                    raise ValidationError(str(exc), code="limit") from exc
        return cleaned


@admin.register(ClientPartition)
class ClientPartitionAdmin(TenantScopedAdmin):
    """Add, change, enable, disable and delete a tenant's BPO clients."""

    form = ClientPartitionForm
    list_display = [
        "name",
        "short_description",
        "enabled_or_deleting",
        "retention",
        "services_count",
        "contacts_count",
    ]
    list_display_links = ["name"]
    list_filter = ["enabled", "legal_hold"]
    search_fields = ["name", "description"]
    ordering = ["name"]
    actions = ["enable_partitions", "disable_partitions", "delete_selected_partitions"]
    fieldsets = [
        (
            gettext_lazy("Properties"),
            {
                "fields": [
                    "name",
                    "description",
                    "enabled",
                    "retention_days",
                    "legal_hold",
                    "legal_hold_reason",
                ]
            },
        ),
    ]
    change_list_template = "admin/partitions/clientpartition/change_list.html"
    change_form_template = "admin/partitions/clientpartition/change_form.html"
    delete_confirmation_template = (
        "admin/partitions/clientpartition/delete_confirmation.html"
    )

    # ----- list -------------------------------------------------------------------

    def get_queryset(self, request):
        return with_counts(super().get_queryset(request))

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        if self.has_delete_permission(request):
            columns.append("delete_link")
        return columns

    @admin.display(description=gettext_lazy("description"))
    def short_description(self, obj: ClientPartition) -> str:
        return Truncator(obj.description).chars(80)

    @admin.display(description=gettext_lazy("enabled"), ordering="enabled")
    def enabled_or_deleting(self, obj: ClientPartition) -> str:
        """The Enabled tick, or the progress of a background deletion."""
        if obj.is_offboarding:
            return format_html(
                '<span class="partition-offboarding">{}</span>', offboarding_label(obj)
            )
        progress = deletion_progress(obj)
        if progress is None:
            return display_for_value(obj.enabled, "", boolean=True)
        if progress.status == "failed":
            return format_html(
                '<span class="errornote">{}</span>',
                _("Deletion failed: delete it again to retry."),
            )
        label = (
            _("Deleting… queued")
            if progress.status == "queued"
            else _("Deleting… %(percent)s%% (about %(seconds)s s in all)")
            % {"percent": progress.percent, "seconds": progress.expected_seconds}
        )
        return format_html(
            '<progress max="100" value="{}" aria-label="{}"></progress> {}',
            progress.percent,
            label,
            label,
        )

    @admin.display(description=gettext_lazy("retention"))
    def retention(self, obj: ClientPartition) -> str:
        """How long the client's history is kept, or why it is held."""
        if obj.legal_hold:
            return format_html(
                '<strong class="legal-hold">{}</strong>', obj.retention_description
            )
        return obj.retention_description

    @admin.display(description=gettext_lazy("services"), ordering="services_count")
    def services_count(self, obj: ClientPartition) -> int:
        return obj.services_count

    @admin.display(description=gettext_lazy("contacts"), ordering="contacts_count")
    def contacts_count(self, obj: ClientPartition) -> str:
        return f"{obj.contacts_count:,}"

    @admin.display(description=gettext_lazy("Delete"))
    def delete_link(self, obj: ClientPartition) -> str:
        url = reverse("admin:partitions_clientpartition_delete", args=[obj.pk])
        label = _('Delete "%(name)s"') % {"name": obj.name}
        return format_html(
            '<a class="deletelink partition-delete" href="{}" title="{}" '
            'aria-label="{}">x</a>',
            url,
            label,
            label,
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "usages": self._usages(request)}
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        if "cl" in context and any(p.is_deleting for p in context["cl"].result_list):
            # The page follows a background deletion by reloading itself (no JS).
            context["refresh_seconds"] = 5
        return response

    def _usages(self, request):
        """ "N of M used" for the viewer's tenant, or for every tenant (superusers);
        nothing for a member of chosen clients (how many clients the tenant has is
        not theirs to know)."""
        if client_scope(request.user) is not None:
            return []
        if not request.user.is_superuser:
            tenant = self.viewer_tenant(request)
            return [self._usage(request, tenant)] if tenant else []
        return partition_usages()

    def _usage(self, request, tenant):
        # Cached per request: the changelist asks has_add_permission several times.
        cache = request.__dict__.setdefault("_partition_usage", {})
        if tenant.pk not in cache:
            cache[tenant.pk] = partition_usage(tenant)
        return cache[tenant.pk]

    # ----- add / change -------------------------------------------------------------

    def _may_add_ignoring_limit(self, request) -> bool:
        return super().has_add_permission(request)

    def has_add_permission(self, request):
        if not self._may_add_ignoring_limit(request):
            return False
        tenant = self.viewer_tenant(request)
        # At the limit the "+" disappears. Superusers pick the tenant in the form,
        # where the limit of that tenant is checked.
        return tenant is None or not self._usage(request, tenant).at_limit

    def add_view(self, request, form_url="", extra_context=None):
        tenant = self.viewer_tenant(request)
        if tenant is not None and self._may_add_ignoring_limit(request):
            usage = self._usage(request, tenant)
            if usage.at_limit:
                self.message_user(
                    request, str(ClientPartitionLimitReached(usage)), messages.ERROR
                )
                return HttpResponseRedirect(self._changelist_url())
        return super().add_view(request, form_url, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (
            ClientPartitionLimitReached,
            actions.ClientPartitionAlreadyDeleted,
        ) as exc:
            # Lost a race: for the last place (the locked check refused the insert),
            # or with a delete that went first.
            self.message_user(request, str(exc), messages.ERROR)
        except ValidationError as exc:
            # E.g. the client began to be deleted after this form was opened.
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        return HttpResponseRedirect(self._changelist_url())

    def save_model(self, request, obj, form, change):
        if change:
            actions.update_client_partition(
                obj, actor=request.user, changed=form.changed_data
            )
        else:
            actions.create_client_partition(obj, actor=request.user)

    def render_change_form(self, request, context, add=False, change=False, **kw):
        obj = kw.get("obj")
        services = registry.content("services")  # registered by the services app
        if obj is not None and obj.pk and services is not None:
            context["associated_services"] = services.of(obj).order_by("name")
        if obj is not None and obj.pk and obj.is_offboarding:
            context["offboarding_label"] = offboarding_label(obj)
        return super().render_change_form(request, context, add, change, **kw)

    # ----- enable / disable ---------------------------------------------------------

    @admin.action(
        permissions=["change"],
        description=gettext_lazy("Enable selected client partitions"),
    )
    def enable_partitions(self, request, queryset):
        self._set_enabled(request, queryset, enabled=True)

    @admin.action(
        permissions=["change"],
        description=gettext_lazy("Disable selected client partitions"),
    )
    def disable_partitions(self, request, queryset):
        self._set_enabled(request, queryset, enabled=False)

    def _set_enabled(self, request, queryset, *, enabled: bool) -> None:
        """Enable or disable the chosen clients and say which changed (clients being
        deleted stay disabled: the action leaves them out)."""
        changed = actions.set_client_partitions_enabled(
            queryset, enabled=enabled, actor=request.user
        )
        self.message_user(
            request,
            toggled_message(changed, enabled=enabled),
            messages.SUCCESS if changed else messages.WARNING,
        )

    # ----- delete -------------------------------------------------------------------

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        found = super().get_actions(request, action_location=action_location)
        # The stock action lists every related row; ours shows counts (see below).
        found.pop("delete_selected", None)
        return found

    def get_deleted_objects(self, objs, request):
        """Never walk the rows that go (docs/design.md, "Never list what is deleted":
        98 s and 3.2 GB for a large client): the confirmation page shows COUNTs
        from actions.deletion_summary.
        Deleting a partition needs only the partition delete permission."""
        return [], {}, set(), []

    def render_delete_form(self, request, context):
        context["summary"] = actions.deletion_summary(context["object"])
        return super().render_delete_form(request, context)

    def get_readonly_fields(self, request, obj=None):
        """Retention and legal hold are shown, not editable, to anyone but an
        administrator (partitions.actions refuses them too, whatever the form); an
        offboarding client is read-only but for its legal hold."""
        fields = list(super().get_readonly_fields(request, obj))
        if not may_set_retention(request.user):
            fields += sorted(RETENTION_FIELDS)
        if obj is not None and obj.is_offboarding:
            # Read-only until the purge (partitions.offboarding); only a legal hold
            # may still be put on or lifted (actions.CHANGEABLE_WHILE_OFFBOARDING).
            fields += [
                name
                for name in flatten_fieldsets(self.get_fieldsets(request, obj))
                if name not in actions.CHANGEABLE_WHILE_OFFBOARDING
                and name not in fields
            ]
        return fields

    def has_change_permission(self, request, obj=None):
        # A client being deleted in the background is read-only until it is gone.
        if obj is not None and obj.is_deleting:
            return False
        return super().has_change_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        partition = self.get_object(request, unquote(object_id))
        if partition is not None and deletion_under_way(partition):
            self.message_user(
                request,
                _('"%(name)s" is already being deleted.') % {"name": partition},
                messages.INFO,
            )
            return HttpResponseRedirect(self._changelist_url())
        try:
            return super().delete_view(request, object_id, extra_context)
        except actions.DeletionRefused as exc:
            self.message_user(request, str(exc), messages.WARNING)
            return HttpResponseRedirect(self._changelist_url())

    def delete_model(self, request, obj):
        request._partition_deleted = actions.delete_or_schedule_client_partition(
            obj, actor=request.user
        )

    def response_delete(self, request, obj_display, obj_id):
        outcome = getattr(request, "_partition_deleted", None)
        response = super().response_delete(request, obj_display, obj_id)
        if outcome is not None:
            # Replace the stock "deleted successfully" with what went.
            list(messages.get_messages(request))
            self.message_user(request, _deletion_message(outcome), messages.SUCCESS)
        return response

    @admin.action(
        permissions=["delete"],
        description=gettext_lazy("Delete selected client partitions"),
    )
    def delete_selected_partitions(self, request, queryset):
        """Confirm with the spec's sentence and the counts for each partition, then
        delete each through the same action as the single delete."""
        if request.POST.get("post") == "yes":
            for partition in queryset:
                if partition.is_deleting:
                    continue  # already handed to the worker
                try:
                    outcome = actions.delete_or_schedule_client_partition(
                        partition, actor=request.user
                    )
                except actions.DeletionRefused as exc:
                    self.message_user(request, str(exc), messages.WARNING)
                    continue
                self.message_user(request, _deletion_message(outcome), messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Delete client partitions"),
            "opts": self.opts,
            "summaries": [actions.deletion_summary(p) for p in queryset],
            "queryset": queryset,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "action_name": "delete_selected_partitions",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            "admin/partitions/clientpartition/delete_selected_confirmation.html",
            context,
        )

    # ----- export -------------------------------------------------------------------

    def get_urls(self):
        # Before the stock URLs: their "<path:object_id>/" would take "1/export/".
        export = self.extra_page("<path:object_id>/export/", self.export_view)
        offboarding = [
            *self.extra_page("<path:object_id>/offboard/", self.offboard_view),
            *self.extra_page(
                "<path:object_id>/offboard/cancel/", self.cancel_offboarding_view
            ),
            *self.extra_page(
                "<path:object_id>/offboard/download/", self.download_export_view
            ),
        ]
        return [*export, *offboarding, *super().get_urls()]

    def export_view(self, request, object_id):
        """ "Export data": the client's data as the same zip as `partitions export`,
        for anyone who may view the partition; another tenant's is not found.

        A GET only shows what the zip will hold (its files and their rows) with the
        button; the zip is built, and the export audited, only on that button's POST
        (with its CSRF token): a GET never changes anything, not even the audit trail.
        """
        partition = self.get_object(request, unquote(object_id))
        if partition is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, partition):
            raise PermissionDenied
        if request.method != "POST":
            return self._export_page(request, partition)
        return zip_download(
            partial(export_client_partition, partition, actor=request.user),
            export_filename(partition),
        )

    def _export_page(self, request, partition: ClientPartition) -> TemplateResponse:
        """The page before an export: each file of the zip with the rows it will hold
        (the registry's kinds, counted, never walked) and the button that exports."""
        files = [
            {
                "filename": content.export.filename,
                "what": content.model._meta.verbose_name_plural,
                "rows": content.of(partition).count(),
            }
            for content in registry.contents()
        ] + [
            {
                "filename": f"{files.folder}/",
                "what": files.model._meta.verbose_name_plural,
                "rows": files.of(partition).count(),
            }
            for files in registry.export_files()
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": partition,
            "title": _('Export the data of "%(name)s"') % {"name": partition.name},
            "files": files,
            "zip_name": export_filename(partition),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/partitions/clientpartition/export.html", context
        )

    # ----- offboarding ---------------------------------------------------------------

    def _offboarding_target(self, request, object_id):
        """The client of an offboarding page, for an administrator who may delete it
        (offboarding ends in a purge: the permission of the "x"); another tenant's
        is not found."""
        partition = self.get_object(request, unquote(object_id))
        if partition is None:
            raise Http404(_("No such client partition."))
        if not self.has_delete_permission(request, partition):
            raise PermissionDenied
        return partition

    def _change_url(self, partition) -> str:
        return reverse("admin:partitions_clientpartition_change", args=[partition.pk])

    def _offboarding_page(self, request, partition, template, title, **extra):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": partition,
            "title": title,
            **extra,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, f"admin/partitions/clientpartition/{template}", context
        )

    def offboard_view(self, request, object_id):
        """ "Offboard": a confirmation page with the grace period; its POST (with
        CSRF) disables, exports and schedules the purge (actions.
        offboard_client_partition), then returns to the client's page, which offers
        the export for download."""
        partition = self._offboarding_target(request, object_id)
        if partition.is_offboarding:
            return HttpResponseRedirect(self._change_url(partition))
        form = OffboardForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                done = actions.offboard_client_partition(
                    partition,
                    grace_days=form.cleaned_data["grace_days"],
                    actor=request.user,
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            except actions.ClientPartitionAlreadyDeleted as exc:
                self.message_user(request, str(exc), messages.WARNING)
                return HttpResponseRedirect(self._changelist_url())
            else:
                self.message_user(
                    request,
                    _(
                        '"%(name)s" is being offboarded: disabled and exported '
                        "(%(counts)s). Purge on %(date)s. Download the export from "
                        "its page."
                    )
                    % {
                        "name": partition.name,
                        "counts": done.manifest.describe(),
                        "date": purge_date(done.partition),
                    },
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(self._change_url(partition))
        return self._offboarding_page(
            request,
            partition,
            "offboard.html",
            _('Offboard "%(name)s"') % {"name": partition.name},
            form=form,
            summary=actions.deletion_summary(partition),
        )

    def cancel_offboarding_view(self, request, object_id):
        """Cancel an offboarding: a confirmation page, then (POST) the client stays
        disabled with its data whole, writable again."""
        partition = self._offboarding_target(request, object_id)
        if not partition.is_offboarding:
            return HttpResponseRedirect(self._change_url(partition))
        if request.method == "POST":
            try:
                actions.cancel_offboarding(partition, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _(
                        'Offboarding of "%(name)s" cancelled: it stays disabled, with '
                        "all its data. Enable it to offer it to agents again."
                    )
                    % {"name": partition.name},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(self._change_url(partition))
        return self._offboarding_page(
            request,
            partition,
            "cancel_offboarding.html",
            _('Cancel the offboarding of "%(name)s"') % {"name": partition.name},
        )

    def download_export_view(self, request, object_id):
        """ "Download the export again": the zip kept since the offboarding, by a
        POST (the download is audited: a GET changes nothing)."""
        partition = self._offboarding_target(request, object_id)
        path = stored_export(partition) if partition.is_offboarding else None
        if request.method != "POST" or path is None:
            if request.method == "POST":
                self.message_user(
                    request, _("There is no kept export to download."), messages.ERROR
                )
            return HttpResponseRedirect(self._change_url(partition))
        actions.record_export_download(partition, actor=request.user)
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=export_filename(partition, partition.offboarding_requested_at),
            content_type="application/zip",
        )

    def _changelist_url(self) -> str:
        return reverse("admin:partitions_clientpartition_changelist")


class OffboardForm(forms.Form):
    """The grace period of an offboarding: days until the purge."""

    grace_days = forms.IntegerField(
        label=gettext_lazy("Days until the purge"),
        min_value=0,
        max_value=MAX_GRACE_DAYS,
        help_text=gettext_lazy(
            "The client is disabled and exported now, and its data deleted after "
            "this many days unless the offboarding is cancelled."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "grace_days"
        ].initial = settings.CLIENT_PARTITION_OFFBOARDING_GRACE_DAYS


@admin.register(DeletionCertificate)
class DeletionCertificateAdmin(ReadOnlyRecords, admin.ModelAdmin):
    """Deletion certificates, read-only: that a client's data was deleted, by whom
    and when, with the counts; each with a JSON download and a printable page.

    A record, like the audit trail (ccadmin.admin.AuditTrailAdmin, the same shape):
    nobody adds, changes or deletes one here; the rows shown are those the viewer
    may see (visible_to: the tenant's own, every tenant's for a superuser).
    """

    list_display = [
        "client_partition_name",
        "kind",
        "requested_by",
        "requested_at",
        "deleted_at",
        "downloads",
    ]
    list_filter = ["kind"]
    search_fields = ["client_partition_name"]
    fields = [
        "client_partition_name",
        "client_partition_id",
        "kind",
        "requested_by",
        "requested_at",
        "deleted_at",
        "counts_deleted",
        "export_sha256",
        "downloads",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("counts deleted"))
    def counts_deleted(self, certificate: DeletionCertificate) -> str:
        return ", ".join(
            f"{key}: {value:,}" for key, value in sorted(certificate.counts.items())
        )

    @admin.display(description=gettext_lazy("download"))
    def downloads(self, certificate: DeletionCertificate) -> str:
        return format_html(
            '<a class="certificate-json" href="{}">{}</a> · '
            '<a class="certificate-print" href="{}">{}</a>',
            reverse("admin:partitions_deletioncertificate_json", args=[certificate.pk]),
            _("JSON"),
            reverse(
                "admin:partitions_deletioncertificate_print", args=[certificate.pk]
            ),
            _("Printable page"),
        )

    def get_urls(self):
        # Before the stock URLs: their "<path:object_id>/" would take "1/json/".
        name = "partitions_deletioncertificate"
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/json/", view(self.json_view), name=f"{name}_json"),
            path(
                "<path:object_id>/print/", view(self.print_view), name=f"{name}_print"
            ),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if request.user.is_superuser:
            columns.insert(0, "tenant")
        return columns

    def _certificate(self, request, object_id) -> DeletionCertificate:
        certificate = self.get_object(request, unquote(object_id))
        if certificate is None or not self.has_view_permission(request, certificate):
            # Another tenant's certificate is as if it did not exist.
            raise Http404(_("No such deletion certificate."))
        return certificate

    def json_view(self, request, object_id):
        """The certificate as a JSON file."""
        certificate = self._certificate(request, object_id)
        response = JsonResponse(
            certificate.as_dict(),
            json_dumps_params={"ensure_ascii": False, "indent": 2},
        )
        response["Content-Disposition"] = (
            f'attachment; filename="deletion-certificate-{certificate.pk}.json"'
        )
        return response

    def print_view(self, request, object_id):
        """The certificate as a plain page to print (styles from a static file:
        the Content-Security-Policy allows no inline style)."""
        certificate = self._certificate(request, object_id)
        return TemplateResponse(
            request,
            "partitions/deletion_certificate.html",
            {"certificate": certificate, "data": certificate.as_dict()},
        )


def _deletion_message(outcome) -> str:
    """What the administrator is told after confirming a delete."""
    if isinstance(outcome, actions.ScheduledDeletion):
        return _(
            'Client partition "%(name)s" is being deleted in the background: '
            "%(what)s (about %(seconds)s s). It is disabled meanwhile; the list shows "
            "its progress."
        ) % {
            "name": outcome.summary.name,
            "what": outcome.summary.describe(),
            "seconds": outcome.expected_seconds,
        }
    return outcome.deleted_message()
