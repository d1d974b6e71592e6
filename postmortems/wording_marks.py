"""Marking a finding of the blameless-language check intended, and withdrawing the mark.

As every change of a document: the document locked, ``permissions.can_mark_wording`` asked
(its authors and administrators, until Final), the change logged with ``log_action``. A mark is
put only on a finding of the saved text, found again under the lock by its fingerprint
(``postmortems.wording``), so nobody can mark words the document does not hold, or another
document's. A mark is review metadata: the content, its hash and the signatures do not change.
"""

from django.db import IntegrityError, transaction

from postmortems import permissions
from postmortems.activity import log_action
from postmortems.models import Activity, BlamelessWaiver, Postmortem
from postmortems.values import single_line
from postmortems.wording import WordingCheck

MAX_REASON = 300


class MarkRefused(Exception):
    """The mark cannot be put or withdrawn; the message says why, for the person."""


def _lock(postmortem, user) -> Postmortem:
    Postmortem.objects.select_for_update().filter(pk=postmortem.pk).first()
    locked = Postmortem.objects.with_document().get(pk=postmortem.pk)
    if not permissions.can_mark_wording(user, locked):
        if locked.status == Postmortem.Status.FINAL:
            raise MarkRefused(f"{locked.key} is Final: its wording marks stay as they are.")
        raise MarkRefused(f"Only the authors of {locked.key} mark its wording intended.")
    return locked


def _said(finding) -> str:
    return f"“{single_line(finding.phrase)[:80]}” in {finding.section.title} ({finding.label})"


@transaction.atomic
def mark_intended(postmortem, fingerprint: str, reason: str, *, by) -> BlamelessWaiver:
    """Mark the saved text's finding with this fingerprint intended, for ``reason``."""
    locked = _lock(postmortem, by)
    reason = single_line(reason or "").strip()
    if not reason:
        raise MarkRefused("Say why this wording is intended (a customer's words, a name…).")
    if len(reason) > MAX_REASON:
        raise MarkRefused(f"Keep the reason under {MAX_REASON} characters.")
    finding = WordingCheck(locked, by).saved(fingerprint or "")
    if finding is None:
        raise MarkRefused(
            "That wording is not in the saved text any more (or was changed): nothing was marked."
        )
    if finding.mark is not None:
        return finding.mark
    try:
        with transaction.atomic():
            mark = BlamelessWaiver.objects.create(
                postmortem=locked,
                section=finding.section.slug,
                field=finding.key,
                phrase=" ".join(finding.phrase.split())[:200],
                sentence=finding.hit.sentence[:2000],
                rule_name=finding.rule.name,
                fingerprint=finding.fingerprint,
                reason=reason,
                created_by=by,
            )
    except IntegrityError:  # marked meanwhile by someone else
        return BlamelessWaiver.objects.get(postmortem=locked, fingerprint=finding.fingerprint)
    log_action(
        locked,
        by,
        Activity.Verb.WORDING_INTENDED,
        section=finding.section.slug,
        detail=f"{_said(finding)}: {reason}"[:500],
    )
    return mark


@transaction.atomic
def withdraw_mark(postmortem, fingerprint: str, *, by) -> bool:
    """Withdraw the mark with this fingerprint; False when there was none."""
    locked = _lock(postmortem, by)
    mark = BlamelessWaiver.objects.filter(postmortem=locked, fingerprint=fingerprint or "").first()
    if mark is None:
        return False
    mark.delete()
    log_action(
        locked,
        by,
        Activity.Verb.WORDING_UNMARKED,
        section=mark.section,
        detail=f"“{mark.phrase[:80]}” (marked for: {mark.reason})"[:500],
    )
    return True
