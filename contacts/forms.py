"""Forms of the agent desktop."""

from django import forms
from django.utils.translation import gettext_lazy as _

from partitions.models import ClientPartition

NO_CLIENT = ""


def client_choices(
    partitions: list[ClientPartition], *, no_client: bool = True
) -> list[tuple[str, str]]:
    """The "BPO client" drop-down: "No client" (for members of every client only:
    the contacts of no client are theirs alone), then the clients given (from
    partitions.selectors.client_partitions_offered_to, in its order)."""
    first = [(NO_CLIENT, _("No client"))] if no_client else []
    return first + [(str(p.pk), p.name) for p in partitions]


class ClientPartitionChoiceMixin:
    """A `client_partition` select offering exactly the given clients.

    A plain ChoiceField over the selector's list (not a ModelChoiceField over a
    queryset), so the list is fetched once, by the one selector, and a value that is
    not offered (another tenant's, disabled, deleted) is refused.
    """

    def _set_client_choices(
        self, partitions: list[ClientPartition], no_client: bool
    ) -> None:
        self.fields["client_partition"].choices = client_choices(
            partitions, no_client=no_client
        )

    def chosen_partition_id(self) -> int | None:
        """The chosen client's id, or None for "No client"."""
        value = self.cleaned_data.get("client_partition") or NO_CLIENT
        return int(value) if value else None


class DesktopForm(ClientPartitionChoiceMixin, forms.Form):
    """Which BPO client the agent works for, and a search among its contacts."""

    client_partition = forms.ChoiceField(label=_("BPO client"), required=False)
    q = forms.CharField(
        label=_("Search contacts"),
        required=False,
        max_length=200,
        help_text=_("Name, email address or phone number."),
    )

    def __init__(
        self,
        *args,
        partitions: list[ClientPartition],
        no_client: bool = True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self._set_client_choices(partitions, no_client)


class NewContactForm(ClientPartitionChoiceMixin, forms.Form):
    """A new contact for a BPO client (or for none), as an agent enters it."""

    client_partition = forms.ChoiceField(label=_("BPO client"), required=False)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    title = forms.CharField(label=_("Title"), required=False, max_length=100)
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)

    # contacts.actions reports errors by model field; this form names one otherwise.
    MODEL_TO_FORM_FIELD = {"partition": "client_partition"}

    def __init__(
        self,
        *args,
        partitions: list[ClientPartition],
        no_client: bool = True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self._set_client_choices(partitions, no_client)

    def add_model_errors(self, error) -> None:
        """Show a ValidationError from contacts.actions on the matching fields."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            name = self.MODEL_TO_FORM_FIELD.get(field, field)
            self.add_error(name if name in self.fields else None, errors)
