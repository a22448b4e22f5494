"""The contact's admin pages for a data subject's requests: "Export this person's
data" and "Erase this person's data" (the same functions as `manage.py
data_subject`: contacts.data_subject, contacts.actions.erase_data_subject).

Each page finds the person by the contact's email address or phone (the viewer
chooses which) across the tenant's clients and shows the counts; a GET changes
nothing, not even the audit trail. Only the page's button, a POST with its CSRF
token, exports or erases. A refusal (legal hold, a client the viewer does not work
for) is shown on the page instead of the button.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from ccadmin.downloads import zip_download
from contacts import actions
from contacts.data_subject import (
    DataSubjectRefused,
    describe_counts,
    export_filename,
    export_subject,
    legal_hold_refusal,
    records_of,
    scope_refusal,
    subject_of,
)
from contacts.models import Contact, ErasureCertificate

STEPS = ("export", "erase")


class DataSubjectPages:
    """A mixin of ContactAdmin: the two pages, under each contact's URL."""

    def data_subject_urls(self) -> list:
        """The pages' URLs, named contacts_contact_subject_export and ..._erase."""
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                f"<path:object_id>/subject-{step}/",
                self.admin_site.admin_view(self.data_subject_view),
                {"step": step},
                name=f"{info}_subject_{step}",
            )
            for step in STEPS
        ]

    def data_subject_view(self, request, object_id, step: str):
        """The page of one step for the person of contact `object_id`: 403 without
        the view permission (and, to erase, the delete permission), 404 for a
        contact the viewer may not see."""
        allowed = self.has_view_permission(request) and (
            step == "export" or self.has_delete_permission(request)
        )
        if not allowed:
            raise PermissionDenied
        contact = self.get_object(request, unquote(object_id))
        if contact is None:
            raise Http404(_("No such contact."))
        kinds = [kind for kind in ("email", "phone") if getattr(contact, kind)]
        by = request.POST.get("by") or request.GET.get("by")
        if by not in kinds:
            by = kinds[0] if kinds else None
        records = refusal = None
        if by is None:
            refusal = _(
                "This contact has no email address or phone to find the person by."
            )
        else:
            subject = subject_of(contact.tenant, **{by: getattr(contact, by)})
            records = records_of(subject)
            refusal = scope_refusal(records, request.user) or legal_hold_refusal(
                records
            )
        if request.method == "POST" and refusal is None:
            try:
                if step == "export":
                    return self._export_response(request, subject)
                certificate = actions.erase_data_subject(subject, actor=request.user)
            except DataSubjectRefused as exc:
                refusal = str(exc)
            else:
                self.message_user(
                    request,
                    _(
                        "Erased the person's data: %(counts)s. Erasure certificate "
                        "%(number)s."
                    )
                    % {
                        "counts": describe_counts(certificate.counts()),
                        "number": certificate.pk,
                    },
                    messages.SUCCESS,
                )
                info = f"{self.opts.app_label}_{self.opts.model_name}"
                return HttpResponseRedirect(
                    reverse(f"{self.admin_site.name}:{info}_changelist")
                )
        return self._data_subject_page(
            request, contact, step, kinds, by, records, refusal
        )

    def _export_response(self, request, subject) -> FileResponse:
        return zip_download(
            partial(export_subject, subject, actor=request.user), export_filename()
        )

    def _data_subject_page(
        self, request, contact: Contact, step, kinds, by, records, refusal
    ) -> TemplateResponse:
        titles = {
            "export": _("Export this person’s data"),
            "erase": _("Erase this person’s data"),
        }
        context = {
            **self.admin_site.each_context(request),
            "title": titles[step],
            "opts": self.opts,
            "original": contact,
            "step": step,
            "by": by,
            "choices": [
                (kind, ErasureCertificate.Kind(kind).label, getattr(contact, kind))
                for kind in kinds
            ],
            "summary": records.describe() if records else "",
            "refusal": refusal,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/contacts/contact/data_subject.html", context
        )
