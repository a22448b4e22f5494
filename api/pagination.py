"""Cursor pagination for every list of the API: stable while rows are added or
deleted between pages (a BPO's sync script walks all pages), and no COUNT of the
whole table per page. Rows come in primary-key order."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from api.errors import Problem

# Digits a cursor's position may have: a bigint's largest value has 19, and SQLite
# refuses integers beyond it (an OverflowError, which would be a 500).
MAX_POSITION_DIGITS = 18


class Cursor(CursorPagination):
    """`?cursor=` (opaque, from `next`/`previous`) and `?limit=` (1 to 500)."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500
    ordering = "pk"

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = False
        position = cursor.position if cursor else None
        if cursor is False or (
            position is not None
            and not (
                position.isascii()
                and position.isdigit()
                and len(position) <= MAX_POSITION_DIGITS
            )
        ):
            # DRF answers 404 for a bad cursor; the page exists, the cursor is bad.
            raise Problem(
                400,
                "invalid-cursor",
                _("Invalid cursor"),
                _("The cursor is not one this API gave: start again without it."),
                errors={"cursor": [_("Not a cursor of this list.")]},
            )
        return cursor
