"""The organisation this install belongs to, as the blameless reminder names it."""

from django import template

from postmortems.exchange.export import organisation_name

register = template.Library()


@register.simple_tag
def organisation() -> str:
    """settings.POSTMORTEM_ORGANISATION, as the exported reminder names it."""
    return organisation_name()
