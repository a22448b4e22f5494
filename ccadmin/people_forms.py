"""Forms of Tenancy > People: a person's page, and the "Import people" page.

The person form holds the account's fields (username, name, email), the role and the
clients beside the membership; it checks them with ccadmin.people's rules and saves
nothing itself: the admin hands its values to ccadmin.actions. It has no field for
groups, permissions, the superuser or staff flag: whatever a forged request posts
for them is never read.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from ccadmin import people
from ccadmin.models import Membership, Tenant

LINK, PASSWORD = "link", "password"


class PersonForm(forms.ModelForm):
    """A person of a contact center: account, role, clients (and, when added, how
    they first sign in). `actor` (who edits) is set by the admin per request."""

    actor = None

    username = forms.CharField(label=_("username"), max_length=150)
    first_name = forms.CharField(label=_("first name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("email address"), required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=people.role_choices,
        help_text=_(
            "Agents work at the agent desktop; client supervisors administer their "
            "clients in the admin; administrators manage the whole contact center, "
            "its people included."
        ),
    )
    all_clients = forms.BooleanField(
        label=_("works for every client"),
        required=False,
        initial=True,
        help_text=_(
            "Untick to limit this person to the clients chosen below: they then see "
            "nothing of the other clients, nor the contacts of no client."
        ),
    )
    clients = forms.ModelMultipleChoiceField(
        label=_("clients"),
        queryset=people.client_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The clients this person works for, when not every client."),
    )
    sign_in = forms.ChoiceField(
        label=_("First sign-in"),
        choices=[
            (LINK, _("Show me a set-password link to give them")),
            (PASSWORD, _("Set an initial password now")),
        ],
        initial=LINK,
        widget=forms.RadioSelect,
    )
    password1 = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html,
    )
    password2 = forms.CharField(
        label=_("Initial password (again)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = Membership
        fields = ["tenant"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        membership = self.instance
        if membership.pk is not None:
            user = membership.user
            for name in ("username", "first_name", "last_name", "email"):
                self.initial.setdefault(name, getattr(user, name))
            self.initial.setdefault("role", people.role_of(user))
            self.initial.setdefault("all_clients", membership.all_client_partitions)
            self.initial.setdefault("clients", list(membership.client_partitions.all()))
            # How the person first signs in is chosen when they are added only.
            for name in ("sign_in", "password1", "password2"):
                del self.fields[name]
        # Only the person's tenant's clients; the admin narrows them further to
        # those its viewer sees. Another tenant's client is an invalid choice.
        clients = people.client_model().objects.order_by("name")
        tenant_id = self._tenant_id()
        if tenant_id is not None:
            clients = clients.filter(tenant_id=tenant_id)
        self.fields["clients"].queryset = clients

    def _tenant_id(self):
        """The tenant of the person: the instance's, or (a superuser adding) the one
        chosen in the form, if any."""
        if self.instance.tenant_id is not None:
            return self.instance.tenant_id
        if self.is_bound and "tenant" in self.fields:
            value = self.data.get(self.add_prefix("tenant"))
            return int(value) if value and str(value).isdigit() else None
        return None

    def chosen_clients(self):
        """None for every client, else the clients chosen (a list)."""
        if self.cleaned_data.get("all_clients"):
            return None
        return list(self.cleaned_data.get("clients") or [])

    def new_person(self) -> people.NewPerson:
        """The person to add, from the cleaned form."""
        data = self.cleaned_data
        return people.NewPerson(
            username=data.get("username", ""),
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            email=data.get("email", ""),
            role=data.get("role", ""),
            clients=self.chosen_clients(),
            password=data.get("password1") if data.get("sign_in") == PASSWORD else None,
        )

    def _add_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.error_dict.items():
            target = {"password": "password1"}.get(name, name)
            self.add_error(target if target in self.fields else None, errors)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        tenant = cleaned.get("tenant") or self.instance.tenant
        try:
            if self.instance.pk is None:
                self._clean_new(tenant)
            else:
                self._clean_change()
        except ValidationError as exc:
            self._add_errors(exc)
        return cleaned

    def _clean_new(self, tenant: Tenant) -> None:
        if self.cleaned_data.get("sign_in") == PASSWORD:
            if not self.cleaned_data.get("password1"):
                raise ValidationError({"password1": _("Give an initial password.")})
            if self.cleaned_data["password1"] != self.cleaned_data.get("password2"):
                raise ValidationError(
                    {"password2": _("The two passwords are not the same.")}
                )
        person = self.new_person()
        refused = people.validate_new_people(tenant, [person])
        if refused:
            raise refused[0]

    def _clean_change(self) -> None:
        membership = self.instance
        data = self.cleaned_data
        user = type(membership.user)(
            pk=membership.user_id,
            username=data["username"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
        )
        people.check_details(user)
        if people.taken_usernames([user.username], exclude_user_id=user.pk):
            raise people.username_taken(user.username)
        if "role" in self.changed_data:
            people.check_role_change(membership, data["role"])
        people.check_clients(membership.tenant_id, self.chosen_clients())


class PeopleImportForm(forms.Form):
    """Which CSV file of people to import, into which tenant (superusers)."""

    tenant = forms.ModelChoiceField(queryset=Tenant.objects.all(), label=_("tenant"))
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "A header line naming the columns: username, first name, last name, "
            "email, role, clients. Role: agent, client supervisor or administrator. "
            'Clients: names separated by ";" or "|", or * for every client.'
        ),
    )
    atomic = forms.BooleanField(
        required=False,
        label=_("All or nothing"),
        help_text=_("Import no row if any row is refused."),
    )

    def __init__(self, *args, tenant: Tenant | None, **kwargs):
        """`tenant`: the administrator's own; None for a superuser, who picks."""
        super().__init__(*args, **kwargs)
        self.fixed_tenant = tenant
        if tenant is not None:
            del self.fields["tenant"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.CONTACT_IMPORT_MAX_UPLOAD_SIZE
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        cleaned["tenant"] = self.fixed_tenant or cleaned.get("tenant")
        return cleaned
