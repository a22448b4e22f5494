#!/usr/bin/env python
"""Command-line entry point of the contact center administrator (Django's manage.py)."""

import os
import sys


def main() -> None:
    """Run a Django management command with the project's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccadmin.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A missing or bad setting is the operator's to fix: one line, no traceback.
        sys.exit(f"ccadmin: configuration error: {exc}")


if __name__ == "__main__":
    main()
