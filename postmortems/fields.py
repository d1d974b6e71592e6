"""Form fields for what people type into a postmortem: UTC times as they write them, tags."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

UTC = datetime.UTC

_TIME_ONLY = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
# Only from the start of a run of spaces: from inside one it cannot match where the run's start
# did not, and trying every start made a long run quadratic.
_SUFFIX = re.compile(r"(?<!\s)\s*+(?:z|utc|gmt|\+00:?00)$", re.IGNORECASE)
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
            value = value.astimezone(UTC)
            shown = value.strftime("%Y-%m-%d %H:%M")
            return shown + value.strftime(":%S") if value.second else shown
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        text = _SUFFIX.sub("", text.strip())
        match = _TIME_ONLY.match(text)
        if match:
            if self.base_date is None:
                raise ValidationError(self.error_messages["needs_date"], code="needs_date")
            hour, minute, second = (int(g) if g else 0 for g in match.groups())
            try:
                return datetime.datetime.combine(
                    self.base_date, datetime.time(hour, minute, second), tzinfo=UTC
                )
            except ValueError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        try:
            parsed = datetime.datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if parsed.tzinfo is not None and parsed.utcoffset() != datetime.timedelta(0):
            raise ValidationError(self.error_messages["offset"], code="offset")
        return parsed.replace(tzinfo=UTC)


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
            name = re.sub(r"[^a-z0-9_-]+", "-", raw.strip().lower()).strip("-")
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
