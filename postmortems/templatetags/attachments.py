from django import template

from postmortems import attachments

register = template.Library()


@register.simple_tag
def attachment_rules():
    """What may be attached, and how much: the upload form's help text."""
    return attachments.rules()
