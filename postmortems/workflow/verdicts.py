"""What a review checks: the criteria a reviewer confirms with a signature, and each
reviewer's verdict on each section.

Review metadata, never content: nothing here changes the signed content or its hash.
``record_signature`` (transitions) asks ``confirm_criteria`` before it signs; a verdict is
``give_verdict``, which locks the document, asks ``permissions``, keeps the section's
content hash of the moment and logs itself.
"""

from django.db import transaction
from django.utils import timezone

from postmortems import permissions
from postmortems.activity import log_action
from postmortems.content import canonical_content
from postmortems.models import Activity, Postmortem, ReviewCriterion, SectionVerdict
from postmortems.section_review import section_hashes
from postmortems.sections import BY_SLUG, SECTIONS
from postmortems.workflow.errors import TransitionError

# The longest comment a verdict keeps (as SectionVerdict.comment and its form say).
COMMENT_LIMIT = 5000


class CriteriaUnconfirmed(TransitionError):
    """A signature without every active review criterion ticked: nothing was signed."""


# --- the review criteria -----------------------------------------------------------------------


def criteria_to_confirm(approval) -> list[ReviewCriterion]:
    """What the holder of this slot confirms before signing: every active criterion for a
    reviewer's or approver's slot (one query), nothing for the authors' own sign-off."""
    if approval.is_author_slot:
        return []
    return list(ReviewCriterion.objects.active())


def all_criteria_tokens() -> list[str]:
    """Every active criterion as its checkbox carries it: what a replay (the demo) confirms."""
    return [criterion.token for criterion in ReviewCriterion.objects.active()]


def confirm_criteria(approval, tokens) -> list[dict]:
    """[{"id", "text"}…] of the criteria this signature confirms, as they read now; raises
    ``CriteriaUnconfirmed`` unless every one asked for is ticked, in the wording shown."""
    asked = criteria_to_confirm(approval)
    ticked = set(tokens or ())
    missing = [c for c in asked if c.token not in ticked]
    if missing:
        ticked_ids = {token.partition(":")[0] for token in ticked}
        reworded = [c for c in missing if str(c.pk) in ticked_ids]
        names = ", ".join(f"“{c.text}”" for c in missing)
        message = (
            f"Nothing was signed: confirm every review criterion before you sign. Not ticked: "
            f"{names}."
        )
        if reworded:
            message += " (Reworded by an administrator since this page opened: read it again.)"
        raise CriteriaUnconfirmed(message)
    return [{"id": c.pk, "text": c.text} for c in asked]


# --- request changes: what it points at ------------------------------------------------------


def pointed_criteria(ids) -> list[str]:
    """The wording of the active criteria with these ids (in their order): what a request for
    changes says falls short. An id that is not an active criterion is refused."""
    ids = {int(i) for i in ids or ()}
    if not ids:
        return []
    found = [c for c in ReviewCriterion.objects.active() if c.pk in ids]
    if len(found) != len(ids):
        raise TransitionError("A review criterion you pointed at is no longer asked for.")
    return [c.text for c in found]


def pointed_sections(slugs) -> list[str]:
    """Section slugs in the template's order; an unknown one is refused."""
    slugs = set(slugs or ())
    if slugs - set(BY_SLUG):
        raise TransitionError("A section you pointed at does not exist.")
    return [s.slug for s in SECTIONS if s.slug in slugs]


# --- per-section verdicts ----------------------------------------------------------------------


@transaction.atomic
def give_verdict(postmortem, *, by, section: str, verdict: str, comment: str = "", now=None):
    """``by`` says a section looks good or needs work (replacing their earlier verdict on it),
    with the section's content hash as it is now: a later change shows as "changed since"."""
    now = now or timezone.now()
    pm = Postmortem.objects.select_for_update().with_document().get(pk=postmortem.pk)
    if section not in BY_SLUG:
        raise TransitionError("That section does not exist.")
    if not permissions.can_give_verdict(by, pm):
        raise TransitionError(
            "Only a reviewer or approver of this document gives verdicts, while it is Under Review."
        )
    if verdict not in SectionVerdict.Verdict.values:
        raise TransitionError("Choose “Looks good” or “Needs work”.")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        raise TransitionError(f"A verdict's comment holds {COMMENT_LIMIT:,} characters at most.")
    given, _ = SectionVerdict.objects.update_or_create(
        postmortem=pm,
        section=section,
        reviewer=by,
        defaults={
            "verdict": verdict,
            "comment": comment,
            "at": now,
            "section_hash": section_hashes(canonical_content(pm))[section],
            "revision": pm.revision,
        },
    )
    log_action(
        pm,
        by,
        Activity.Verb.SECTION_VERDICT,
        section=section,
        detail=given.get_verdict_display().lower(),
        at=now,
    )
    return given


__all__ = [
    "CriteriaUnconfirmed",
    "all_criteria_tokens",
    "confirm_criteria",
    "criteria_to_confirm",
    "give_verdict",
    "pointed_criteria",
    "pointed_sections",
]
