"""The admin's "Import contacts" page, in steps: 1. the file (CSV or Excel), the
client and the options; 2. map: what each column of the file fills, as the importer
suggests it, changeable; 3. preview: the first rows as they will be stored, each
with its errors; 4. confirm: the import, then its report.

Every step calls the importer of `manage.py import_contacts` (contacts.imports): the
header is read, the columns suggested, the preview built and the rows imported by
the same functions, so the page can neither accept nor refuse what the command
would not. The calls are the few functions at the top of this module.

The file waits between steps on the server (contacts/import_uploads.py), named by a
token that the page carries in its URLs and the session keeps with the choices made
so far; the Back buttons show those choices again.

Hand-written rather than with django-formtools' wizard: the mapping form's fields
are the file's columns (known only after step 1), the preview is no form, and the
upload must stay tied to one user and tenant and be deleted after its import or a
day; the wizard's file storage and step bookkeeping would cover none of that, and
the three views below are short.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ccadmin.models import Tenant
from contacts.import_forms import ColumnMappingForm, ContactImportForm
from contacts.import_headers import IGNORE
from contacts.import_uploads import (
    StoredUpload,
    discard_upload,
    load_upload,
    save_upload,
)
from contacts.imports import (
    FIELDS,
    STORED_FIELDS,
    ContactImportError,
    import_contacts,
    open_table,
    suggest_mapping,
)
from partitions.models import ClientPartition

# Room for the form's other fields and the multipart framing around the file.
_UPLOAD_OVERHEAD = 64 * 1024
# Rows shown in the preview, and sample values shown per column on the map step.
PREVIEW_ROWS = 20
SAMPLE_ROWS = 3
# Uploads a session remembers at once (several tabs); older ones are let go.
_KEPT_PER_SESSION = 5
# Fields of the mapping page's POST besides one select per column (the CSRF token,
# the buttons), kept under DATA_UPLOAD_MAX_NUMBER_FIELDS: past it Django refuses the
# whole request with a blank "Bad Request (400)".
_MAPPING_PAGE_OTHER_FIELDS = 10
_SESSION_KEY = "contact_imports"
# What the import will do with a row of the preview (PreviewRow.action).
ACTIONS = {
    "create": gettext_lazy("New contact"),
    "update": gettext_lazy("Updates a stored contact"),
}


# ----- the importer's functions, called here only --------------------------------


def _field_choices() -> list[tuple[str, str]]:
    """The select's choices: each field a column can fill (capitalised, like the
    admin's labels), then "Do not import"."""
    fields = [
        (name, capfirst(str(label))) for name, label in FIELDS.items() if name != IGNORE
    ]
    return [*fields, (IGNORE, _("Do not import"))]


def read_columns(
    stored: StoredUpload, encoding: str
) -> tuple[list[str], list[list[str]], list[str | None]]:
    """The file's header, a few values of each column, and the field the importer
    suggests for each (None: unknown). Raises ContactImportError."""
    with (
        stored.open() as stream,
        open_table(stream, stored.filename, encoding) as table,
    ):
        headers = list(table.headers)
        samples: list[list[str]] = [[] for _header in headers]
        for count, (_line, row) in enumerate(table, start=1):
            for index, value in enumerate(row[: len(headers)]):
                if value.strip():
                    samples[index].append(value)
            if count >= SAMPLE_ROWS:
                break
    return headers, samples, list(suggest_mapping(headers))


def check_mappable(headers: list[str]) -> None:
    """Refuse, at step 1, a file with more columns than the mapping page can post
    (one field each, DATA_UPLOAD_MAX_NUMBER_FIELDS): the command maps any number
    of columns. Raises ContactImportError."""
    allowed = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if allowed is None:
        return
    limit = allowed - _MAPPING_PAGE_OTHER_FIELDS
    if len(headers) > limit:
        raise ContactImportError(
            _(
                "The file has %(count)s columns, more than the %(limit)s this page "
                "can map: import it with manage.py import_contacts, naming the "
                "columns to keep with --map and skipping the others with "
                "--ignore-unknown, or remove columns from the file."
            )
            % {"count": len(headers), "limit": limit}
        )


def run_import(stored: StoredUpload, state: dict, *, tenant, partition, actor, **how):
    """The import (or, with `preview=N`, its preview) of the stored file with the
    choices of the steps so far; the command's function. Raises
    ContactImportError."""
    with stored.open() as stream:
        return import_contacts(
            stream,
            tenant=tenant,
            partition=partition,
            actor=actor,
            filename=stored.filename,
            encoding=state["encoding"],
            atomic=state["atomic"],
            mapping=state["mapping"],
            **how,
        )


# ----- the pages ---------------------------------------------------------------------


class ContactImportPages:
    """A mixin of ContactAdmin: the steps of "Import contacts"."""

    def import_urls(self) -> list:
        """contacts_contact_import (step 1), contacts_contact_import_map (steps 2
        and 3) and contacts_contact_import_confirm (4)."""
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name=f"{info}_import"),
            path(
                "import/<str:token>/map/",
                view(self.import_map_view),
                name=f"{info}_import_map",
            ),
            path(
                "import/<str:token>/confirm/",
                view(self.import_confirm_view),
                name=f"{info}_import_confirm",
            ),
        ]

    # -- helpers --

    def _import_url(self, step: str = "", token: str = "") -> str:
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_import"
        if step:
            return reverse(f"{name}_{step}", args=[token])
        return reverse(name) + (f"?token={token}" if token else "")

    def _import_context(self, request, **extra) -> dict:
        request.current_app = self.admin_site.name
        return {
            **self.admin_site.each_context(request),
            "title": _("Import contacts"),
            "opts": self.opts,
            **extra,
        }

    def _states(self, request) -> dict:
        return request.session.get(_SESSION_KEY, {})

    def _remember(self, request, token: str, state: dict) -> None:
        states = dict(self._states(request))
        states.pop(token, None)
        states[token] = state
        while len(states) > _KEPT_PER_SESSION:
            oldest = next(iter(states))
            discard_upload(oldest)
            del states[oldest]
        request.session[_SESSION_KEY] = states

    def _forget(self, request, token: str) -> None:
        states = dict(self._states(request))
        states.pop(token, None)
        request.session[_SESSION_KEY] = states
        discard_upload(token)

    def _upload_of(self, request, token: str):
        """(stored file, choices, tenant, partition) of the viewer's upload `token`,
        or None: no such upload in this session, another user's, expired, or its
        client no longer one the viewer may import into."""
        state = self._states(request).get(token)
        stored = load_upload(token, user_id=request.user.pk)
        if state is None or stored is None:
            return None
        fixed = self.viewer_tenant(request)
        if fixed is not None and fixed.pk != stored.tenant_id:
            return None
        tenant = Tenant.objects.filter(pk=stored.tenant_id).first()
        partition = None
        if state["partition"] is not None:
            partition = (
                ClientPartition.objects.visible_to(request.user)
                .filter(pk=state["partition"], tenant_id=stored.tenant_id)
                .first()
            )
            if partition is None:
                return None
        if tenant is None:
            return None
        return stored, state, tenant, partition

    def _gone(self, request) -> HttpResponseRedirect:
        self.message_user(
            request,
            _("This upload is no longer available: choose the file again."),
            messages.WARNING,
        )
        return HttpResponseRedirect(self._import_url())

    def _check_permission(self, request) -> None:
        if not self.has_add_permission(request):
            raise PermissionDenied

    # -- step 1: the file --

    def import_view(self, request):
        """Step 1, "Import contacts": the file, the client and the options; after
        an import (step 4) the same page shows its report."""
        self._check_permission(request)
        tenant = self.viewer_tenant(request)
        token = request.POST.get("token") or request.GET.get("token") or ""
        kept = self._upload_of(request, token) if token else None
        if kept is None:
            token = ""
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
                    request.POST,
                    request.FILES,
                    tenant=tenant,
                    user=request.user,
                    kept_filename=kept[0].filename if kept else "",
                )
                if form.is_valid():
                    response = self._accept_upload(request, form, kept)
                    if response is not None:
                        return response
        if form is None:
            if kept is not None:
                _stored, state, kept_tenant, partition = kept
                initial = {
                    "tenant": kept_tenant.pk,
                    "partition": partition.pk if partition else None,
                    "encoding": state["encoding"],
                    "atomic": state["atomic"],
                }
            else:
                initial = {"partition": request.GET.get("partition")}
            form = ContactImportForm(
                initial=initial,
                tenant=tenant,
                user=request.user,
                kept_filename=kept[0].filename if kept else "",
            )
        context = self._import_context(
            request,
            subtitle=_("Step 1 of 3: the file"),
            form=form,
            token=token,
        )
        return TemplateResponse(request, "admin/contacts/contact/import.html", context)

    def _accept_upload(self, request, form, kept):
        """Keep the chosen file (or the one kept from before) and go to the map
        step; None, with the form's error, when the file cannot be read."""
        data = form.cleaned_data
        upload = data["file"]
        if upload:
            stored = save_upload(
                upload, user_id=request.user.pk, tenant_id=data["tenant"].pk
            )
            mapping = None
        else:
            stored, previous, kept_tenant, _partition = kept
            mapping = previous.get("mapping")
            if kept_tenant.pk != data["tenant"].pk:
                # The file was kept for another tenant: upload it again for this one.
                form.add_error("file", _("Choose the file again for this tenant."))
                return None
        state = {
            "partition": data["partition"].pk if data["partition"] else None,
            "encoding": data["encoding"],
            "atomic": data["atomic"],
            "mapping": mapping,
        }
        try:
            headers, _samples, _suggested = read_columns(stored, state["encoding"])
            check_mappable(headers)
        except ContactImportError as exc:
            form.add_error("file" if upload else "encoding", str(exc))
            if upload:
                discard_upload(stored.token)
            return None
        if mapping is not None and len(mapping) != len(headers):
            state["mapping"] = None
        if upload and kept is not None:
            self._forget(request, kept[0].token)
        self._remember(request, stored.token, state)
        return HttpResponseRedirect(self._import_url("map", stored.token))

    # -- steps 2 and 3: map, then preview --

    def import_map_view(self, request, token: str):
        """Step 2, what each column fills (GET, and a POST with errors); a valid
        POST shows step 3, the preview of the first rows as they will be stored."""
        self._check_permission(request)
        found = self._upload_of(request, token)
        if found is None:
            return self._gone(request)
        stored, state, tenant, partition = found
        try:
            headers, samples, suggested = read_columns(stored, state["encoding"])
        except ContactImportError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(self._import_url(token=token))
        form_options = {
            "headers": headers,
            "samples": samples,
            "fields": _field_choices(),
            "label_suffix": "",
        }
        if request.method != "POST":
            chosen = state.get("mapping") or [field or "" for field in suggested]
            initial = {f"column_{i}": value for i, value in enumerate(chosen)}
            form = ColumnMappingForm(initial=initial, **form_options)
            return self._map_page(request, form, stored, partition)
        form = ColumnMappingForm(request.POST, **form_options)
        if "back" in request.POST:
            # Back to step 1, keeping these choices for when the admin returns.
            self._remember(
                request,
                token,
                {**state, "mapping": form.raw_mapping(), "previewed": None},
            )
            return HttpResponseRedirect(self._import_url(token=token))
        if not form.is_valid():
            return self._map_page(request, form, stored, partition)
        state = {**state, "mapping": form.mapping(), "previewed": None}
        self._remember(request, token, state)
        try:
            preview = run_import(
                stored,
                state,
                tenant=tenant,
                partition=partition,
                actor=request.user,
                preview=PREVIEW_ROWS,
            )
        except ContactImportError as exc:
            form.add_error(None, str(exc))
            return self._map_page(request, form, stored, partition)
        # What "Import" may now run: exactly the choices this preview showed.
        self._remember(request, token, {**state, "previewed": state["mapping"]})
        return self._preview_page(request, preview, state, stored, partition)

    def _map_page(self, request, form, stored, partition):
        context = self._import_context(
            request,
            subtitle=_("Step 2 of 3: what each column holds"),
            form=form,
            columns=form.bound_columns(),
            upload=stored,
            partition=partition,
            token=stored.token,
            back_url=self._import_url(token=stored.token),
        )
        return TemplateResponse(
            request, "admin/contacts/contact/import_map.html", context
        )

    def _preview_page(self, request, preview, state, stored, partition):
        chosen = set(state["mapping"])
        if "name" in chosen:  # a whole name fills both (split like routing splits)
            chosen |= {"first_name", "last_name"}
        fields = [name for name in STORED_FIELDS if name in chosen]
        table = [
            {
                "line": row.line,
                "values": [row.values.get(name, "") for name in fields],
                "errors": list(row.errors),
                "action": ACTIONS.get(row.action, ""),
            }
            for row in preview.preview_rows
        ]
        context = self._import_context(
            request,
            subtitle=_("Step 3 of 3: preview"),
            preview=preview,
            labels=[capfirst(str(FIELDS[name])) for name in fields],
            rows=table,
            upload=stored,
            partition=partition,
            atomic=state["atomic"],
            token=stored.token,
            back_url=self._import_url("map", stored.token),
            confirm_url=self._import_url("confirm", stored.token),
        )
        return TemplateResponse(
            request, "admin/contacts/contact/import_preview.html", context
        )

    # -- step 4: confirm --

    def import_confirm_view(self, request, token: str):
        """Step 4: the import itself (a POST from the preview), then its report on
        the page of step 1. The upload is deleted once it ran."""
        self._check_permission(request)
        if request.method != "POST":
            return HttpResponseRedirect(self._import_url("map", token))
        found = self._upload_of(request, token)
        if found is None:
            return self._gone(request)
        if (
            not found[1].get("previewed")
            or found[1]["previewed"] != found[1]["mapping"]
        ):
            # Choices changed since the preview (Back, another tab): preview them.
            self.message_user(
                request,
                _("The columns changed since the preview: check the preview again."),
                messages.WARNING,
            )
            return HttpResponseRedirect(self._import_url("map", token))
        stored, state, tenant, partition = found
        try:
            result = run_import(
                stored, state, tenant=tenant, partition=partition, actor=request.user
            )
        except ContactImportError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(self._import_url("map", token))
        self._forget(request, token)
        level = messages.WARNING if result.refused else messages.SUCCESS
        self.message_user(request, result.describe(), level)
        form = ContactImportForm(
            initial={
                "tenant": tenant.pk,
                "partition": partition.pk if partition else None,
                "encoding": state["encoding"],
            },
            tenant=self.viewer_tenant(request),
            user=request.user,
        )
        context = self._import_context(
            request,
            subtitle=_("Step 1 of 3: the file"),
            form=form,
            result=result,
        )
        return TemplateResponse(request, "admin/contacts/contact/import.html", context)
