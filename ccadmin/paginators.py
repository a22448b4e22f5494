"""Paginating lists of millions of rows without counting them all."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

# Counting stops here: the admin then says "more than 10,000" and pages through the
# first hundred pages; filters and search narrow the rest.
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """A paginator that counts at most COUNT_CAP + 1 rows.

    A tenant's activity history can hold millions of rows; COUNT(*) over them costs
    more than showing the page (bench/RESULTS.md). Counting a LIMITed subquery keeps
    the work bounded whatever the size.
    """

    @cached_property
    def count(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        """Whether there are more rows than were counted."""
        return self.count > COUNT_CAP
