"""Form fields for what people type into a postmortem: UTC times and numbers as they write
them, tags."""

import datetime
import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from postmortems.values import (
    NumberRefused,
    TimeRefused,
    number_text,
    parse_count,
    parse_utc,
    service_name,
    ungrouped,
    utc_text,
)

# What the Services box takes, as typed (the export writes the same "api, postgres").
MAX_TAGS_TEXT = 500

MAX_COUNT = 2_147_483_647

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
        # An example, not a value: "e.g." says so (and app.css greys every placeholder).
        self.widget.attrs.setdefault("placeholder", "e.g. 14:23")
        self.widget.attrs.setdefault("inputmode", "numeric")
        self.widget.attrs.setdefault("autocomplete", "off")

    def prepare_value(self, value):
        # As typed: 15:31 on the incident's date, 2026-01-30 00:15 on another.
        if isinstance(value, datetime.datetime):
            return utc_text(value, self.base_date)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_utc(text, self.base_date)
        except TimeRefused as refused:
            raise ValidationError(self.error_messages[refused.code], code=refused.code) from None


class CountField(forms.IntegerField):
    """A whole number as people write it: 1200, 1,200 or 1 200 (values.parse_count).

    A text box, not a number box: a browser's number box drops "1,200" without a word and
    posts nothing."""

    widget = forms.TextInput
    default_error_messages = {"invalid": "Write a whole number, like 1200 or 1,200."}

    def __init__(self, *, max_value=None, **kwargs):
        # What every database holds in a count (PostgreSQL's integer), SQLite too.
        max_value = MAX_COUNT if max_value is None else max_value
        super().__init__(max_value=max_value, **kwargs)
        self.error_messages["max_value"] = (
            f"That is more than this box takes: {max_value:,} at most."
        )

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "numeric", "autocomplete": "off"}

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, int):
            return value
        try:
            return parse_count(str(value))
        except NumberRefused:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class NumberField(forms.DecimalField):
    """A decimal number shown as typed (99.9, not the column's 99.9000) and read with its
    thousands separators (1,234.5); a comma is never a decimal point (31,2 is refused)."""

    widget = forms.TextInput
    default_error_messages = {"invalid": "Write a number, like 31.2 (a point for decimals)."}

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal", "autocomplete": "off"}

    def prepare_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            return number_text(value)
        return value

    def to_python(self, value):
        if isinstance(value, str):
            try:
                value = ungrouped(value)
            except NumberRefused:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return super().to_python(value)


class TagsField(forms.CharField):
    """Services as a comma-separated list: ``api, postgres``. Cleans to a sorted list of slugs."""

    # Two people's saves merge as sets: what either added, less what either removed.
    merges_as_set = True

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
