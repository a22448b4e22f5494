"""Forms of the "Import contacts" admin page: the file (step 1) and what each of its
columns holds (step 2). The page's flow is contacts/import_views.py."""

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from ccadmin.models import Tenant
from ccadmin.tenancy import chosen_clients
from partitions.admin_fields import ClientPartitionChoiceField
from partitions.models import ClientPartition

ENCODINGS = [
    ("utf-8-sig", _("UTF-8 (with or without BOM)")),
    ("cp932", _("Shift_JIS (Japanese Excel, cp932)")),
]


class ContactImportForm(forms.Form):
    """Step 1: which file (CSV or Excel) to import, into which tenant (superusers)
    and client. Going back from a later step, the file already uploaded is kept
    unless another one is chosen (`kept_filename`)."""

    # Bold labels for what must be given, as on the admin's own forms.
    required_css_class = "required"

    tenant = forms.ModelChoiceField(queryset=Tenant.objects.all(), label=_("Tenant"))
    partition = ClientPartitionChoiceField(
        queryset=ClientPartition.objects.none(),
        required=False,
        label=_("Client partition"),
        empty_label=_("No client"),
        help_text=_("The BPO client the contacts belong to; empty for none."),
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A CSV file (comma, semicolon or tab) or an Excel workbook (.xlsx) whose "
            "first line names the columns, as exported by a CRM. The next step shows "
            "what each column will fill, and lets you change it."
        ),
    )
    encoding = forms.ChoiceField(
        choices=ENCODINGS,
        initial="utf-8-sig",
        label=_("Encoding"),
        help_text=_("Of a CSV file; an Excel workbook needs none."),
    )
    atomic = forms.BooleanField(
        required=False,
        label=_("All or nothing"),
        help_text=_("Import no row if any row is refused."),
    )

    def __init__(
        self,
        *args,
        tenant: Tenant | None,
        user: User,
        kept_filename: str = "",
        **kwargs,
    ):
        """`tenant`: the administrator's tenant; None for a superuser, who picks.
        `user`: who imports; only the client partitions they see are offered.
        `kept_filename`: the file uploaded before, kept if no other is chosen."""
        super().__init__(*args, **kwargs)
        self.fixed_tenant = tenant
        self.kept_filename = kept_filename
        partitions = ClientPartition.objects.visible_to(user).select_related("tenant")
        if tenant is not None:
            del self.fields["tenant"]
        else:
            self.fields["partition"].show_tenant = True
        self.fields["partition"].queryset = partitions
        if chosen_clients(user) is not None:
            # A member of chosen clients imports into one of them, never into none.
            self.fields["partition"].required = True
            self.fields["partition"].empty_label = None
        limit = _(
            "At most %(size)s; larger files are imported with the import_contacts "
            "command."
        ) % {"size": filesizeformat(settings.CONTACT_IMPORT_MAX_UPLOAD_SIZE)}
        help_text = f"{self.fields['file'].help_text} {limit}"
        if kept_filename:
            self.fields["file"].required = False
            kept = _("%(name)s is kept unless you choose another file.") % {
                "name": kept_filename
            }
            help_text = f"{kept} {help_text}"
        self.fields["file"].help_text = help_text

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload and upload.size > settings.CONTACT_IMPORT_MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s.")
                % {
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(settings.CONTACT_IMPORT_MAX_UPLOAD_SIZE),
                }
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        tenant = self.fixed_tenant or cleaned.get("tenant")
        partition = cleaned.get("partition")
        if tenant is not None and partition is not None:
            if partition.tenant_id != tenant.pk:
                self.add_error(
                    "partition", _("Choose a client partition of this tenant.")
                )
        cleaned["tenant"] = tenant
        return cleaned


class ColumnMappingForm(forms.Form):
    """Step 2: what each column of the file fills, one select per column (named
    `column_0`, `column_1`, ...), offering the importer's fields and "Do not
    import". A column the importer does not recognise starts with no choice and
    must be given one: as on the command line, nothing is dropped unless said."""

    def __init__(
        self,
        *args,
        headers: list[str],
        samples: list[list[str]],
        fields: list[tuple[str, str]],
        **kwargs,
    ):
        """`headers`: the file's header cells; `samples[i]`: a few values of column
        i; `fields`: (value, label) of each choice, "Do not import" included."""
        super().__init__(*args, **kwargs)
        choices = [("", _("Choose what this column holds")), *fields]
        self.columns = []
        for index, header in enumerate(headers):
            name = f"column_{index}"
            label = header.strip() or _("Column %(number)s (no header)") % {
                "number": index + 1
            }
            self.fields[name] = forms.ChoiceField(
                choices=choices,
                label=label,
                error_messages={
                    "required": _("Choose what this column holds, or “Do not import”.")
                },
            )
            self.columns.append(
                {"field": name, "header": label, "samples": samples[index]}
            )

    def bound_columns(self):
        """Each column: its header, its sample values and its bound select."""
        return [{**column, "bound": self[column["field"]]} for column in self.columns]

    def mapping(self) -> list[str]:
        """The chosen field of each column, in the file's order."""
        return [self.cleaned_data[column["field"]] for column in self.columns]

    def raw_mapping(self) -> list[str]:
        """The choices as sent, valid or not (kept when going back a step)."""
        return [self.data.get(column["field"], "") for column in self.columns]
