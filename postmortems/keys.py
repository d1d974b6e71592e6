"""Incident keys: the ones people type, and the ones drawn from a counter.

A typed key that cannot be used gets one message whatever the reason, and restricted
documents draw keys from a sequence of their own, so neither a refusal nor a gap in the
numbering tells that a document someone may not see exists.
"""

import re

from django.conf import settings

from postmortems.models import KeySequence, Postmortem

KEY_REFUSED = (
    "{key} cannot be used: choose another key, or leave the field empty for the next free one."
)


def key_prefix(restricted: bool) -> str:
    return (
        settings.POSTMORTEM_RESTRICTED_KEY_PREFIX if restricted else settings.POSTMORTEM_KEY_PREFIX
    )


def key_refusal(key: str, *, restricted: bool) -> str:
    """Why a typed key cannot be used, or ''. One message whatever the reason (taken by a
    document the person may see or not, or the other kind's prefix), so a refusal never tells
    that a hidden document exists."""
    # Each kind keeps to its own prefix: a restricted document typed into the open sequence
    # would show there as a gap.
    other = key_prefix(not restricted)
    reserved = key.startswith(other + "-")
    if reserved or Postmortem.objects.filter(key=key).exists():
        return KEY_REFUSED.format(key=key)
    return ""


def next_key(year: int, *, restricted: bool = False) -> str:
    """The next generated key of the year, INC-2026-0001, INC-2026-0002, … (a restricted
    document's from its own prefix: SEC-2026-0001). Call inside the creating transaction:
    the counter row stays locked until it commits."""
    prefix = key_prefix(restricted)
    sequence, _ = KeySequence.objects.select_for_update().get_or_create(
        prefix=prefix,
        year=year,
        defaults={"last": _highest_number(prefix, year)},
    )
    number = sequence.last + 1
    # A key someone typed in the same pattern is skipped.
    while Postmortem.objects.filter(key=f"{prefix}-{year}-{number:04d}").exists():
        number += 1
    sequence.last = number
    sequence.save(update_fields=["last"])
    return f"{prefix}-{year}-{number:04d}"


def _highest_number(prefix, year) -> int:
    """Where a new counter starts: after the keys of this pattern already in use. (Only keys
    given out before counters existed: since then restricted documents draw their own.)"""
    pattern = re.compile(rf"^{re.escape(prefix)}-{year}-(\d+)$")
    keys = Postmortem.objects.filter(key__startswith=f"{prefix}-{year}-").values_list(
        "key", flat=True
    )
    return max((int(m.group(1)) for key in keys if (m := pattern.match(key))), default=0)
