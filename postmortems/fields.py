"""Form fields for what people type into a postmortem: UTC times as they write them, tags."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from postmortems.values import TimeRefused, parse_utc, service_name, utc_text

# What the Services box takes, as typed (the export writes the same "api, postgres").
MAX_TAGS_TEXT = 500

TIME_HELP = "UTC, as you would write it: 14:23, or 2026-01-29 14:23 for another day."


class UTCDateTimeField(forms.CharField):
    """A UTC time typed like the template writes it.

    Takes ``14:23`` (on the incident's date), ``2026-01-29 14:23``, ``2026-01-29T14:23:05Z``
    and the like. A time with another offset is refused rather than silently converted.
    """

    default_error_messages = {
        "invalid": "Write a UTC time like 14:23 or 2026-01-29 14:23.",
        "needs_date": "Write the date too (2026-01-29 14:23): the incident has no date yet.",
        "offset": "Write the time in UTC (no other time zone), like 2026-01-29 14:23.",
    }

    def __init__(self, *, base_date: datetime.date | None = None, **kwargs):
        kwargs.setdefault("help_text", TIME_HELP)
        super().__init__(**kwargs)
        self.base_date = base_date
        self.widget.attrs.setdefault("placeholder", "14:23")
        self.widget.attrs.setdefault("inputmode", "numeric")
        self.widget.attrs.setdefault("autocomplete", "off")

    def prepare_value(self, value):
        if isinstance(value, datetime.datetime):
            return utc_text(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_utc(text, self.base_date)
        except TimeRefused as refused:
            raise ValidationError(self.error_messages[refused.code], code=refused.code) from None


class TagsField(forms.CharField):
    """Services as a comma-separated list: ``api, postgres``. Cleans to a sorted list of slugs."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        if len(text) > MAX_TAGS_TEXT:
            raise ValidationError(
                f"That is too many services for one incident ({MAX_TAGS_TEXT} characters at most)."
            )
        names = []
        for raw in re.split(r"[,\n]", text):
            name = service_name(raw)
            if not name:
                continue
            if len(name) > 60:
                raise ValidationError(f"“{raw.strip()[:30]}…” is too long for a service name.")
            if name not in names:
                names.append(name)
        return sorted(names)


class HttpsURLField(forms.URLField):
    """A web link: http or https only; typed without a scheme (grafana.example.com) → https://."""

    message = "Enter a web link that starts with http:// or https://."
    default_error_messages = {"invalid": message}
    default_validators = [URLValidator(schemes=["http", "https"], message=message)]

    def __init__(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)
