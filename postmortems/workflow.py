"""Every change of a postmortem's life cycle is one function here.

Views call these and nothing else to create or move a document; each one checks who may act,
runs in one transaction and raises ``TransitionError`` with a message a person can read.
"""

import re

from django.conf import settings
from django.db import IntegrityError, transaction

from postmortems.models import Postmortem


class TransitionError(Exception):
    """A workflow step was refused; ``str(error)`` is written for the person who tried it."""


def next_key(year: int) -> str:
    """The next free generated key for a year: INC-2026-0001, INC-2026-0002, …"""
    prefix = f"{settings.POSTMORTEM_KEY_PREFIX}-{year}-"
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    numbers = [
        int(m.group(1))
        for key in Postmortem.objects.filter(key__startswith=prefix).values_list("key", flat=True)
        if (m := pattern.match(key))
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def create_draft(*, by, title, incident_date, severity, key="", authors=(), **fields) -> Postmortem:
    """Start a Draft. The creator is always an author; an empty key gets the next free one."""
    for attempt in range(5):
        try:
            with transaction.atomic():
                postmortem = Postmortem.objects.create(
                    key=key or next_key(incident_date.year),
                    title=title,
                    incident_date=incident_date,
                    severity=severity,
                    created_by=by,
                    **fields,
                )
                postmortem.authors.set({by, *authors})
                return postmortem
        except IntegrityError:
            if key or attempt == 4:
                raise TransitionError(f"The key {key or 'generated'} is already taken.") from None
    raise AssertionError("unreachable")
