"""`manage.py api_token create|list|revoke`: personal API tokens, for scripts.

The same writers as Tenancy > API tokens (ccadmin.actions), run by the operator (the
system account in the audit trail). `create` prints the key alone on stdout, so a
script can keep it: `KEY=$(python manage.py api_token create --user u)`; the human
line goes to stderr.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ccadmin import actions, zones
from ccadmin.cli import ContactCenterCommand, OneLineErrorParser
from ccadmin.models import ApiToken

# The name of a token made on the command line without --name.
DEFAULT_NAME = "command line"


def _user(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(_('Unknown user "%(user)s".') % {"user": username})
    return user


def _when(moment, tenant) -> str:
    """`moment` in the token's tenant's zone, labelled ("2026-12-04 09:45
    Asia/Tokyo (JST)"), as its people read it in the admin; a service provider's
    token (no tenant) in UTC, as they see it there."""
    if moment is None:
        return "-"
    zone = tenant.zone if tenant is not None else ZoneInfo(zones.PROVIDER_ZONE)
    with timezone.override(zone):
        return f"{timezone.localtime(moment):%Y-%m-%d %H:%M} {zones.label(moment)}"


class Command(ContactCenterCommand):
    """Create, list and revoke personal API tokens."""

    help = gettext_lazy(
        "Personal API tokens for the administration API (Authorization: Bearer "
        "<key>): create (prints the key, shown this once), list, revoke. Run "
        "'api_token SUBCOMMAND --help' for each one's options."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="subcommand",
            required=True,
            metavar="SUBCOMMAND",
            parser_class=OneLineErrorParser,
        )
        create = sub.add_parser(
            "create",
            help=_("Create a token for a person and print its key."),
            description=_(
                "Create a personal API token for the user and print its key alone on "
                "stdout (it is shown this once: only a hash is kept). The token acts "
                "as the user: their permissions, tenant and clients."
            ),
        )
        create.add_argument("--user", required=True, help=_("The token's user."))
        create.add_argument(
            "--name",
            default=DEFAULT_NAME,
            help=_('What uses the key, e.g. "CRM sync" (default: "command line").'),
        )
        create.add_argument(
            "--expires-days",
            type=int,
            dest="expires_days",
            help=_("Days until the token expires, 1 to %(max)s (default: never).")
            % {"max": ApiToken.MAX_LIFETIME_DAYS},
        )
        listing = sub.add_parser(
            "list",
            help=_("List tokens: id, user, name, key start, status, dates."),
            description=_(
                "One token a line, tab-separated: id, user, tenant, name, key starts "
                "with, status, created, expires, last used. Never the key."
            ),
        )
        listing.add_argument("--user", help=_("Only this user's tokens."))
        revoke = sub.add_parser(
            "revoke",
            help=_("Revoke a token: its key is refused from now on."),
            description=_("Revoke a token by its id (see 'api_token list')."),
        )
        revoke.add_argument("token_id", metavar="ID", type=int)
        for subparser in (create, listing, revoke):
            self.add_common_arguments(subparser)

    def handle(self, *args, subcommand: str, **options):
        handler = {
            "create": self.handle_create,
            "list": self.handle_list,
            "revoke": self.handle_revoke,
        }[subcommand]
        handler(options)

    def handle_create(self, options) -> None:
        user = _user(options["user"])
        try:
            token, key = actions.create_api_token(
                user=user,
                name=options["name"],
                expires_days=options["expires_days"],
                actor=None,
            )
        except (ValidationError, PermissionDenied) as exc:
            text = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(" ".join(text)) from exc
        self.stdout.write(key)
        if options["verbosity"] >= 1:
            self.stderr.write(
                _(
                    'API token %(id)s "%(name)s" created for %(user)s, expires: '
                    "%(expires)s. The key above is shown this once."
                )
                % {
                    "id": token.pk,
                    "name": token.name,
                    "user": user.get_username(),
                    "expires": _when(token.expires_at, token.tenant)
                    if token.expires_at
                    else _("never"),
                }
            )

    def handle_list(self, options) -> None:
        tokens = ApiToken.objects.select_related("user", "tenant").order_by("pk")
        if options["user"]:
            tokens = tokens.filter(user=_user(options["user"]))
        now = timezone.now()
        for token in tokens:
            self.say(
                "\t".join(
                    [
                        str(token.pk),
                        token.user.get_username(),
                        token.tenant.slug if token.tenant else "-",
                        token.name,
                        token.key_prefix,
                        token.status(now),
                        _when(token.created_at, token.tenant),
                        _when(token.expires_at, token.tenant),
                        _when(token.last_used_at, token.tenant),
                    ]
                ),
                options["verbosity"],
            )

    def handle_revoke(self, options) -> None:
        token = ApiToken.objects.filter(pk=options["token_id"]).first()
        if token is None:
            raise CommandError(
                _("No API token has the id %(id)s.") % {"id": options["token_id"]}
            )
        if not actions.revoke_api_tokens([token], actor=None):
            raise CommandError(
                _("API token %(id)s was already revoked.") % {"id": token.pk}
            )
        self.say(
            _('Revoked API token %(id)s "%(name)s": its key is refused from now on.')
            % {"id": token.pk, "name": token.name},
            options["verbosity"],
        )
