"""Contacts, companies, emails and activity history, filterable by client partition.

Every save and delete goes through contacts.actions, which checks, normalises and
audits it the same way as for the agent desktop, the importer and routing."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ccadmin.admin_base import ReadOnlyRecords, TenantScopedAdmin, Writers
from ccadmin.paginators import CappedCountPaginator
from contacts import actions, email_downloads
from contacts.admin_across import ContactsAcrossClientsAdmin
from contacts.data_subject_admin import DataSubjectPages
from contacts.import_views import ContactImportPages
from contacts.models import (
    Activity,
    Company,
    Contact,
    Email,
    EmailSource,
    ErasureCertificate,
)
from partitions.admin_fields import TenantPartitionFilter

PARTITION_FILTER = ("partition", TenantPartitionFilter)


class LargeListAdmin(TenantScopedAdmin):
    """A list that may hold millions of rows: counted up to a cap, never in full."""

    paginator = CappedCountPaginator
    show_full_result_count = False


@admin.register(Company)
class CompanyAdmin(LargeListAdmin):
    """The companies of a tenant's clients."""

    list_display = ["name", "partition"]
    list_filter = [PARTITION_FILTER]
    list_select_related = ["partition"]
    search_fields = ["name"]
    fields = ["tenant", "partition", "name"]
    writers = Writers(
        actions.add_company, actions.change_company, actions.delete_companies
    )


@admin.register(Contact)
class ContactAdmin(
    ContactImportPages, ContactsAcrossClientsAdmin, DataSubjectPages, LargeListAdmin
):
    """A tenant's contacts, with or without a BPO client; moved between clients
    and merged from the list (contacts.admin_across); a contact's page offers a
    data subject's export and erasure (contacts.data_subject_admin); "Import
    contacts" maps a CRM's file and previews it (contacts.import_views)."""

    list_display = ["__str__", "email", "phone", "mobile", "company", "partition"]
    list_filter = [PARTITION_FILTER]
    list_select_related = ["partition", "company"]
    search_fields = ["first_name", "last_name", "email", "phone", "mobile"]
    fields = [
        "tenant",
        "partition",
        "first_name",
        "last_name",
        "title",
        "company",
        "email",
        "phone",
        "mobile",
        "placeholder",
    ]
    # Set by routing on the one "Withheld number" / "Unknown sender" of a client.
    readonly_fields = ["placeholder"]
    writers = Writers(
        actions.add_contact, actions.change_contact, actions.delete_contacts
    )

    def get_urls(self):
        return [
            *self.import_urls(),
            *self.across_urls(),
            *self.data_subject_urls(),
            *super().get_urls(),
        ]


@admin.register(Email)
class EmailAdmin(LargeListAdmin):
    """Emails received and sent, per client. The change page also shows what intake
    recorded beside the text (attachments, intake notes, the HTML body as text) and
    offers the original message and each kept attachment as downloads."""

    list_display = ["subject", "sender", "direction", "sent_at", "partition"]
    list_filter = [PARTITION_FILTER, "direction"]
    list_select_related = ["partition"]
    search_fields = ["subject", "sender", "message_id"]
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
        "original_message",
        "attachment_list",
        "intake_notes",
        "html_body",
    ]
    # Intake's record of the message as received: shown, never edited.
    readonly_fields = [
        "original_message",
        "attachment_list",
        "intake_notes",
        "html_body",
    ]
    raw_id_fields = ["contact"]
    writers = Writers(actions.add_email, actions.change_email, actions.delete_emails)

    class Media:
        css = {"all": ["ccadmin/email-admin.css"]}

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/original/",
                view(self.original_view),
                name=f"{info}_original",
            ),
            path(
                "<path:object_id>/attachments/<int:index>/",
                view(self.attachment_view),
                name=f"{info}_attachment",
            ),
            *super().get_urls(),
        ]

    def _visible_email(self, request, object_id) -> Email:
        """The email `object_id` if the viewer may see it: 403 without the view
        permission on emails, 404 for an email of another tenant (as if it did not
        exist) or an id that is no id."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        email = self.get_object(request, unquote(object_id))
        if email is None:
            raise Http404(_("No such email."))
        return email

    def original_view(self, request, object_id):
        """ "Download original (.eml)": the message exactly as received."""
        return email_downloads.original_response(
            self._visible_email(request, object_id)
        )

    def attachment_view(self, request, object_id, index):
        """The content of one kept attachment, as a download."""
        email = self._visible_email(request, object_id)
        return email_downloads.attachment_response(email, index)

    def _url(self, name: str, *args) -> str:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return reverse(f"{self.admin_site.name}:{info}_{name}", args=args)

    @admin.display(description=gettext_lazy("original message"))
    def original_message(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        # The size only: the compressed source is read when it is downloaded.
        size = (
            EmailSource.objects.filter(email_id=obj.pk)
            .values_list("size", flat=True)
            .first()
        )
        if size is None:
            return _("Not stored")
        return format_html(
            '<a href="{}" download>{}</a> ({})',
            self._url("original", obj.pk),
            _("Download original (.eml)"),
            filesizeformat(size),
        )

    @admin.display(description=gettext_lazy("attachments"))
    def attachment_list(self, obj):
        entries = obj.attachments if obj is not None else []
        if not entries or not isinstance(entries, list):
            return _("None")
        rows = []
        for index, entry in enumerate(entries):
            entry = entry if isinstance(entry, dict) else {}
            size = entry.get("size")
            rows.append(
                {
                    "name": entry.get("name") or "",
                    "type": entry.get("type") or "",
                    "size": size if isinstance(size, int) else None,
                    "kept": bool(entry.get("kept")),
                    "url": self._url("attachment", obj.pk, index)
                    if entry.get("kept")
                    else "",
                }
            )
        return render_to_string(
            "admin/contacts/email/_attachments.html", {"attachments": rows}
        )

    @admin.display(description=gettext_lazy("intake notes"))
    def intake_notes(self, obj):
        lines = [line for line in (obj.notes if obj else "").splitlines() if line]
        if not lines:
            return _("None")
        return format_html(
            '<ul class="intake-notes">{}</ul>',
            format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
        )

    @admin.display(description=gettext_lazy("HTML body"))
    def html_body(self, obj):
        # Hostile input: shown as escaped text, never rendered.
        if obj is None or not obj.body_html:
            return _("None")
        return format_html(
            '<details class="email-html"><summary>{}</summary><pre>{}</pre></details>',
            _("Show the HTML source"),
            obj.body_html,
        )


@admin.register(Activity)
class ActivityAdmin(LargeListAdmin):
    """Activity history: calls, chats and emails handled, per client."""

    list_display = ["occurred_at", "channel", "direction", "contact", "partition"]
    list_filter = [PARTITION_FILTER, "channel", "direction"]
    list_select_related = ["partition", "contact"]
    search_fields = ["summary"]
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
    writers = Writers(
        actions.add_activity, actions.change_activity, actions.delete_activities
    )


@admin.register(ErasureCertificate)
class ErasureCertificateAdmin(ReadOnlyRecords, admin.ModelAdmin):
    """Erasure certificates, read-only: that a person's data was erased at their
    request, when, by whom, and how many rows of each kind; never who the person
    was (only a keyed hash of their address or number, which
    `ErasureCertificate.matches` checks against an identifier a person gives).

    A record, like the audit trail and deletion certificates: nobody adds, changes or
    deletes one here; the rows shown are those the viewer may see (visible_to).
    """

    list_display = ["__str__", "erased_at", "erased_by", "identifier_kind", "counted"]
    list_filter = ["identifier_kind"]
    fields = [
        "erased_at",
        "erased_by",
        "identifier_kind",
        "contacts",
        "emails",
        "email_sources",
        "activities",
        "client_partition_ids",
        "identifier_hash",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("rows erased"))
    def counted(self, certificate: ErasureCertificate) -> str:
        return ", ".join(
            f"{key}: {value:,}" for key, value in certificate.counts().items()
        )

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)
