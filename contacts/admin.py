"""Contacts, companies, emails and activity history, filterable by client partition.

Every save and delete goes through contacts.actions, which checks, normalises and
audits it the same way as for the agent desktop, the importer and routing."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from ccadmin.admin_base import TenantScopedAdmin, Writers
from ccadmin.paginators import CappedCountPaginator
from contacts import actions
from contacts.import_forms import ContactImportForm
from contacts.imports import ContactImportError, import_contacts
from contacts.models import Activity, Company, Contact, Email
from partitions.admin_fields import TenantPartitionFilter

# Room for the form's other fields and the multipart framing around the file.
_UPLOAD_OVERHEAD = 64 * 1024

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
class ContactAdmin(LargeListAdmin):
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
    writers = Writers(
        actions.add_contact, actions.change_contact, actions.delete_contacts
    )

    def get_urls(self):
        return [*self.extra_page("import/", self.import_view), *super().get_urls()]

    def import_view(self, request):
        """ "Import contacts": the same import as `manage.py import_contacts`, into
        the administrator's own tenant, with an upload size cap."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        tenant = self.viewer_tenant(request)
        result = None
        form = None
        if request.method == "POST":
            # Refuse an oversized upload before Django reads the body into a file.
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
            limit = settings.CONTACT_IMPORT_MAX_UPLOAD_SIZE
            if declared > limit + _UPLOAD_OVERHEAD:
                self.message_user(
                    request,
                    _("The file is too large: the limit is %(limit)s.")
                    % {"limit": filesizeformat(limit)},
                    messages.ERROR,
                )
            else:
                form = ContactImportForm(
                    request.POST, request.FILES, tenant=tenant, user=request.user
                )
                if form.is_valid():
                    result = self._run_import(request, form)
        if form is None:
            initial = {"partition": request.GET.get("partition")}
            form = ContactImportForm(initial=initial, tenant=tenant, user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import contacts"),
            "opts": self.opts,
            "form": form,
            "result": result,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/contacts/contact/import.html", context)

    def _run_import(self, request, form):
        upload = form.cleaned_data["file"]
        try:
            result = import_contacts(
                upload.file,
                tenant=form.cleaned_data["tenant"],
                partition=form.cleaned_data["partition"],
                actor=request.user,
                atomic=form.cleaned_data["atomic"],
                encoding=form.cleaned_data["encoding"],
                source=upload.name,
            )
        except ContactImportError as exc:
            form.add_error("file", str(exc))
            return None
        level = messages.WARNING if result.refused else messages.SUCCESS
        self.message_user(request, result.describe(), level)
        return result


@admin.register(Email)
class EmailAdmin(LargeListAdmin):
    """Emails received and sent, per client."""

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
    ]
    raw_id_fields = ["contact"]
    writers = Writers(actions.add_email, actions.change_email, actions.delete_emails)


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
