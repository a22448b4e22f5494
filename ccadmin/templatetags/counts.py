"""Counts in words in templates (ccadmin.counts): `{% load counts %}`, then
`{% count_of "contacts" n %}` or
`{% count_of_objects cl.opts.model cl.result_count %}`."""

from django import template

from ccadmin import counts

register = template.Library()


@register.simple_tag
def count_of(kind: str, count: int) -> str:
    """ "1 contact", "3 contacts": see ccadmin.counts.count_of."""
    return counts.count_of(kind, count)


@register.simple_tag
def count_of_objects(model, count: int) -> str:
    """ "0 audit trail entries", "2 contacts": see ccadmin.counts.count_of_objects."""
    return counts.count_of_objects(model, count)
