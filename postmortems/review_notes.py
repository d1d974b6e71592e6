"""The reviewers' words where the authors work: why the document was sent back, and the open
comment threads of each section.

The reason given with "request changes" is in the activity log (``Activity.detail`` of the
``changes_requested`` entry); it is shown until the document is submitted again. Open threads
are those not resolved and not hidden, read from the document's prefetched comments.

Only someone who may edit the Draft (``permissions.can_edit``: its authors, administrators)
is shown any of it here, and nothing is read until a page asks: the reason is one query,
the threads none, whatever their number.
"""

from functools import cached_property

from postmortems import permissions
from postmortems.models import Activity
from postmortems.sections import SECTIONS

Verb = Activity.Verb


def last_changes_request(postmortem) -> Activity | None:
    """The last "request changes" (its reason, who, when), unless submitted again since."""
    last = (
        Activity.objects.filter(
            postmortem=postmortem, verb__in=(Verb.SUBMITTED, Verb.CHANGES_REQUESTED)
        )
        .select_related("actor", "points")  # points: what it pointed at, if anything
        .order_by("-created_at", "-id")
        .first()
    )
    return last if last is not None and last.verb == Verb.CHANGES_REQUESTED else None


def open_threads(threads) -> list:
    """[(thread, replies)…] of one section that are neither resolved nor hidden."""
    return [(t, replies) for t, replies in threads if not t.is_resolved and not t.is_hidden]


class ReviewNotes:
    """What the editor's banner and section panel (and the document page's banner) show.

    ``threads``: {section slug: [(thread, [replies…])…]}, as ``presentation`` groups them.
    """

    def __init__(self, postmortem, user, threads):
        self.postmortem = postmortem
        self.user = user
        self._threads = threads

    @cached_property
    def shown(self) -> bool:
        return permissions.can_edit(self.user, self.postmortem)

    @cached_property
    def changes_requested(self) -> Activity | None:
        return last_changes_request(self.postmortem) if self.shown else None

    @cached_property
    def sections(self) -> list:
        """[(section, [(thread, replies)…])…] in the template's order, sections with open
        threads only."""
        if not self.shown:
            return []
        found = [(s, open_threads(self._threads.get(s.slug, []))) for s in SECTIONS]
        return [(section, threads) for section, threads in found if threads]

    @cached_property
    def _points(self):
        """What the last request for changes pointed at (models.ChangeRequestPoints), if any."""
        return getattr(self.changes_requested, "points", None)

    @cached_property
    def pointed_criteria(self) -> list[str]:
        """The review criteria the reviewer said fall short, worded as they read then."""
        return list(self._points.criteria) if self._points else []

    @cached_property
    def pointed_sections(self) -> list:
        """The sections the reviewer said need work, in the template's order."""
        slugs = set(self._points.sections) if self._points else set()
        return [section for section in SECTIONS if section.slug in slugs]

    @cached_property
    def open_count(self) -> int:
        return sum(len(threads) for _, threads in self.sections)

    def __bool__(self) -> bool:
        return bool(self.changes_requested or self.open_count)
