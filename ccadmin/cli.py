"""What every management command of the contact center shares.

Who runs a command (the system account or `--user`), which tenant `--tenant` names,
and one-line errors: a command's bad input is one clear line on stderr and a non-zero
exit status, never a traceback or a screen of usage text.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from ccadmin.models import Membership, Tenant

# The account that command-line changes are recorded under when no --user is given.
# It cannot sign in (no usable password, inactive): it only names the author of audit
# entries in the admin's History.
SYSTEM_USERNAME = "ccadmin-system"


def system_user() -> AbstractBaseUser:
    """The system account named in the audit entries of command-line changes, created
    the first time a command needs it."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_active": False, "is_staff": False, "is_superuser": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def actor_from_option(
    username: str | None, tenant: Tenant | None = None, permission: str | None = None
):
    """The user a command acts as: `--user USERNAME`, or the system account.

    The admin's rule, so a command does only what its user could do in the admin: an
    active superuser, or an active staff member of `tenant` (a contact center's
    administrator) holding `permission` ("partitions.add_clientpartition"), checked
    with Django's model permissions (user.has_perm). Anyone else (an agent, another
    tenant's administrator, an inactive account) is refused with one line.
    """
    if not username:
        return system_user()
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(_('Unknown user "%(user)s".') % {"user": username})
    refused = CommandError(
        _(
            'The user "%(user)s" may not do this: it needs an administrator of '
            'the tenant with the permission "%(permission)s", or a superuser.'
        )
        % {"user": username, "permission": permission or _("admin access")}
    )
    if not user.is_active:
        raise refused
    if user.is_superuser:
        return user
    if tenant is not None:
        membership = Membership.objects.filter(user=user).select_related("tenant")
        own = membership.first()
        if own is None or own.tenant_id != tenant.pk:
            raise CommandError(
                _('The user "%(user)s" does not work for the tenant "%(tenant)s".')
                % {"user": username, "tenant": tenant.name}
            )
    # The admin lets in only staff, then asks the model permission.
    if not user.is_staff or (permission and not user.has_perm(permission)):
        raise refused
    return user


def tenant_from_option(value: str | None) -> Tenant:
    """The tenant `--tenant` names, by slug or by name (case-insensitively).

    Raises CommandError, one line, when it names none or more than one tenant.
    """
    if not value or not value.strip():
        raise CommandError(_("Give a tenant with --tenant (its slug or name)."))
    value = value.strip()
    matches = list(Tenant.objects.filter(Q(slug=value) | Q(name__iexact=value))[:3])
    if not matches:
        # SQLite's iexact folds only ASCII; a second look in Python folds the rest.
        folded = value.casefold()
        matches = [t for t in Tenant.objects.all() if t.name.casefold() == folded]
    if not matches:
        known = ", ".join(
            Tenant.objects.order_by("slug").values_list("slug", flat=True)
        )
        raise CommandError(
            _('Unknown tenant "%(value)s" (known tenants: %(known)s).')
            % {"value": value, "known": known or _("none")}
        )
    if len(matches) > 1:
        raise CommandError(
            _('"%(value)s" names more than one tenant (%(slugs)s): give the slug.')
            % {"value": value, "slugs": ", ".join(t.slug for t in matches)}
        )
    return matches[0]


def zip_output(path: Path, option: str = "--output") -> Path:
    """`path` when it names a zip file: an export is a zip of CSV files, and
    "x.csv" would hold a zip under a name that every spreadsheet opens as garbage.
    Raises CommandError, one line, otherwise."""
    if path.suffix.lower() != ".zip":
        raise CommandError(
            _(
                "%(path)s: the export is a zip file of CSV files; give %(option)s a "
                "name ending in .zip."
            )
            % {"path": path, "option": option}
        )
    return path


def is_terminal(stream) -> bool:
    """Whether `stream` (a command's standard input) is a terminal to ask on."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class OneLineErrorParser(CommandParser):
    """A command parser whose usage errors are one line on stderr, exit status 2.

    argparse prints the whole usage text before the error; a script's log then holds
    several lines for one mistake. `--help` still shows the full usage.
    """

    def error(self, message):
        if self.called_from_command_line:
            self.exit(2, f"{self.prog}: error: {message} (see --help)\n")
        super().error(message)


def translated_help(parser: argparse.ArgumentParser) -> None:
    """Turn the parser's lazily translated texts (gettext_lazy help, description,
    subcommand help) into strings, in the active language, in place.

    Python 3.13's argparse formats help with `re` and `%`, which refuse Django's lazy
    strings ("expected string or bytes-like object, got '__proxy__'"): `--help`
    crashed. Done once here, when the parser is built, for every command.
    """
    for name in ("description", "epilog", "usage"):
        value = getattr(parser, name, None)
        if isinstance(value, Promise):
            setattr(parser, name, force_str(value))
    for action in parser._actions:
        if isinstance(action.help, Promise):
            action.help = force_str(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if isinstance(choice.help, Promise):
                    choice.help = force_str(choice.help)
            for subparser in action.choices.values():
                translated_help(subparser)


class ContactCenterCommand(BaseCommand):
    """Base of the contact center's management commands: one-line errors, and
    `-v/--verbosity` accepted after a subcommand's name too."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds a CommandParser; swapping its class keeps every option Django
        # added and makes subcommand parsers (built from type(parser)) one-line too.
        parser.__class__ = OneLineErrorParser
        translated_help(parser)
        return parser

    @staticmethod
    def add_common_arguments(parser: argparse.ArgumentParser) -> None:
        """Let `-v 0` follow a subcommand's name (`partitions list -v 0`)."""
        parser.add_argument(
            "-v",
            "--verbosity",
            type=int,
            choices=[0, 1, 2, 3],
            default=argparse.SUPPRESS,
            help=_("0 prints nothing but errors; 1 normal output (default)."),
        )

    def say(self, message: str, verbosity: int, style=None) -> None:
        """Write a line to stdout unless -v 0 asked for errors only."""
        if verbosity >= 1:
            self.stdout.write(style(message) if style else message)

    def confirm(self, stdin, prompt: str, cancelled: str) -> None:
        """Ask `prompt` on the terminal and return when the answer is "yes".

        Any other answer raises CommandError(`cancelled`): the command exits
        non-zero, so a script or an operator's `&&` does not go on as if the
        destructive step had been done.
        """
        self.stdout.write(prompt, ending="")
        self.stdout.flush()
        if stdin.readline().strip().lower() != "yes":
            raise CommandError(cancelled)
