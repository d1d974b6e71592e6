"""What the blameless-language check finds in a document, and where each finding belongs.

The engine is ``postmortems.blameless`` (pure: rules, names and a text in, findings out). This
module says what it is given:

- **the texts**: every section's free texts — its text fields, and its table's, of 200
  characters or more (a one-line name, a role or an SLO's name is not checked), less the
  column that names a person — each with a key (``root_cause_why``, or
  ``timeline/17/description`` for a row's) and a label;
- **the people**: the document's authors, approvers, responders (an account or a typed name)
  and action-item owners (likewise), and every active account's display name, names and
  username (one query): a subject with one of those names is a person;
- **the rules**: the enabled ``BlamelessRule`` rows (one query);
- **the marks**: what an author marked intended (``BlamelessWaiver``, one query): such a
  finding shows with its reason and is not counted.

``WordingCheck`` is what a page holds: nothing is read until the page asks, and only for who
may see it (``permissions.can_see_wording``); then three queries, whatever the document's size.
"""

from dataclasses import dataclass, replace
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db import models

from postmortems import blameless, permissions
from postmortems.models import BlamelessRule, BlamelessWaiver, Postmortem
from postmortems.sections import BY_SLUG, SECTIONS

LONG_ENOUGH = 200  # a Char field shorter than this is a name or a value, not prose
CONTEXT = 80  # characters of the sentence shown on each side of the words flagged


def _is_prose(field) -> bool:
    return isinstance(field, models.TextField) or (
        isinstance(field, models.CharField) and (field.max_length or 0) >= LONG_ENOUGH
    )


def checked_fields(section) -> tuple[str, ...]:
    """The document's fields of a section that are checked, in the section's order."""
    names = [*section.search, *section.extra_texts]
    opts = Postmortem._meta
    return tuple(n for n in dict.fromkeys(names) if _is_prose(opts.get_field(n)))


def checked_row_fields(section) -> tuple[str, ...]:
    """The fields of a section's table rows that are checked (none if it has no table)."""
    rows = section.rows
    if rows is None:
        return ()
    person = rows.person[0] if rows.person else None
    opts = rows.model._meta
    return tuple(n for n in rows.search_fields if n != person and _is_prose(opts.get_field(n)))


def row_key(section, row_id, field: str) -> str:
    return f"{section.rows.related_name}/{row_id}/{field}"


def field_label(name: str) -> str:
    label = str(Postmortem._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


@dataclass(frozen=True)
class Text:
    """One text of the document that is checked: where it is and what it says."""

    section: object  # sections.Section
    field: str
    key: str
    label: str
    text: str
    row: int | None = None


def texts_of(postmortem) -> list[Text]:
    """Every checked text of the document (its tables prefetched), in the sections' order."""
    found = []
    for section in SECTIONS:
        for name in checked_fields(section):
            text = getattr(postmortem, name) or ""
            if text.strip():
                found.append(Text(section, name, name, field_label(name), text))
        row_fields = checked_row_fields(section)
        if not row_fields:
            continue
        noun = section.rows.noun
        rows = getattr(postmortem, section.rows.related_name).all()
        for index, row in enumerate(rows, start=1):
            for name in row_fields:
                text = getattr(row, name) or ""
                if text.strip():
                    label = f"{noun[:1].upper()}{noun[1:]} {index}"
                    if len(row_fields) > 1:
                        label += f" ({row._meta.get_field(name).verbose_name})"
                    found.append(
                        Text(section, name, row_key(section, row.pk, name), label, text, row.pk)
                    )
    return found


# --- what the check is given -------------------------------------------------------------------


def rules_in_force() -> list[blameless.Rule]:
    return [r.as_rule() for r in BlamelessRule.objects.filter(enabled=True)]


def account_names() -> list[tuple[str, str, str, str]]:
    """Every active account's (username, display name, first, last): one query."""
    accounts = get_user_model().objects.filter(is_active=True)
    return list(accounts.values_list("username", "display_name", "first_name", "last_name"))


def people_of(postmortem, accounts=None) -> blameless.People:
    """The document's people (prefetched) and every active account's names (``accounts``, or
    one query)."""
    names, usernames = [], []
    for author in postmortem.authors.all():
        names.append(author.name)
        usernames.append(author.username)
    for approval in postmortem.approvals.all():
        if approval.assignee_id and approval.assignee is not None:
            names.append(approval.assignee.name)
    for responder in postmortem.responders.all():
        names.append(responder.user.name if responder.user_id else responder.name)
    for item in postmortem.action_items.all():
        names.append(item.owner.name if item.owner_id else item.owner_name)
    for username, display, first, last in account_names() if accounts is None else accounts:
        usernames.append(username)
        names += [display, f"{first} {last}".strip()]
    return blameless.people([n for n in names if n], usernames)


def marks_of(postmortem) -> dict[str, BlamelessWaiver]:
    marks = BlamelessWaiver.objects.filter(postmortem=postmortem).select_related("created_by")
    return {mark.fingerprint: mark for mark in marks}


# --- findings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One finding, where it is (section, field or row, character offsets in its text), why
    (the rule) and what to ask instead; ``mark`` when an author marked it intended."""

    section: object  # sections.Section
    field: str
    key: str
    label: str
    row: int | None
    hit: blameless.Hit
    fingerprint: str
    mark: BlamelessWaiver | None = None

    @property
    def rule(self) -> blameless.Rule:
        return self.hit.rule

    @property
    def phrase(self) -> str:
        return self.hit.phrase

    @property
    def before(self) -> str:
        return self.hit.before

    @property
    def after(self) -> str:
        return self.hit.after

    @property
    def start(self) -> int:
        return self.hit.start

    @property
    def end(self) -> int:
        return self.hit.end

    @property
    def anchor(self) -> str:
        return f"wording-{self.fingerprint[:12]}"

    @property
    def lead(self) -> str:
        """The sentence before the words, its last 80 characters at most."""
        text = self.hit.before
        return text if len(text) <= CONTEXT else "…" + text[-CONTEXT:].lstrip()

    @property
    def tail(self) -> str:
        text = self.hit.after
        return text if len(text) <= CONTEXT else text[:CONTEXT].rstrip() + "…"


def findings_in(checker, text: Text, marks) -> tuple[list[Finding], bool]:
    """The findings of one text, marked where an author marked them; and whether the text
    was checked only in part."""
    result = checker.check(text.text)
    found = []
    for hit in result.hits:
        key = blameless.fingerprint(text.section.slug, text.key, hit.phrase, hit.sentence)
        found.append(
            Finding(
                section=text.section,
                field=text.field,
                key=text.key,
                label=text.label,
                row=text.row,
                hit=hit,
                fingerprint=key,
                mark=marks.get(key),
            )
        )
    return found, result.partial


class WordingCheck:
    """What a page shows of the check (the page context's ``blameless``)."""

    def __init__(self, postmortem, user):
        self.postmortem = postmortem
        self.user = user

    @cached_property
    def shown(self) -> bool:
        return self.user is not None and permissions.can_see_wording(self.user, self.postmortem)

    @cached_property
    def can_mark(self) -> bool:
        return self.shown and permissions.can_mark_wording(self.user, self.postmortem)

    @cached_property
    def checker(self) -> blameless.Checker:
        return blameless.Checker(rules_in_force(), people_of(self.postmortem))

    @cached_property
    def marks(self) -> dict:
        return marks_of(self.postmortem)

    @cached_property
    def _checked(self) -> tuple[list[Finding], bool]:
        if not self.shown:
            return [], False
        found, partial = [], False
        for text in texts_of(self.postmortem):
            more, cut = findings_in(self.checker, text, self.marks)
            found += more
            partial = partial or cut
        return found, partial

    @property
    def findings(self) -> list[Finding]:
        return self._checked[0]

    @property
    def partial(self) -> bool:
        return self._checked[1]

    @cached_property
    def open(self) -> list[Finding]:
        return [f for f in self.findings if f.mark is None]

    @property
    def total(self) -> int:
        return len(self.open)

    @cached_property
    def marked(self) -> list[Finding]:
        return [f for f in self.findings if f.mark is not None]

    def in_section(self, slug: str) -> list[Finding]:
        return [f for f in self.findings if f.section.slug == slug]

    def on_key(self, key: str) -> list[Finding]:
        return [f for f in self.findings if f.key == key]

    @cached_property
    def counts(self) -> list[tuple[object, int]]:
        """[(section, open findings)…] of the sections that have some, in their order."""
        by_slug = {}
        for finding in self.open:
            by_slug[finding.section.slug] = by_slug.get(finding.section.slug, 0) + 1
        return [(s, by_slug[s.slug]) for s in SECTIONS if s.slug in by_slug]

    def saved(self, fingerprint: str) -> Finding | None:
        """The finding of the saved text with this fingerprint (what a mark must be on)."""
        return next((f for f in self.findings if f.fingerprint == fingerprint), None)


def open_counts(postmortems, user) -> dict[int, int]:
    """{document pk: findings not marked intended} of the documents whose check this person
    may see (``/review/``), in a fixed number of queries whatever their number."""
    ids = [p.pk for p in postmortems]
    loaded = Postmortem.objects.with_document().in_bulk(ids) if ids else {}
    shown = [p for p in loaded.values() if permissions.can_see_wording(user, p)]
    if not shown:
        return {}
    rules, accounts = rules_in_force(), account_names()
    marks = {}
    for mark in BlamelessWaiver.objects.filter(postmortem__in=shown):
        marks.setdefault(mark.postmortem_id, {})[mark.fingerprint] = mark
    counts = {}
    for postmortem in shown:
        checker = blameless.Checker(rules, people_of(postmortem, accounts))
        found = [
            f
            for text in texts_of(postmortem)
            for f in findings_in(checker, text, marks.get(postmortem.pk, {}))[0]
        ]
        counts[postmortem.pk] = sum(1 for f in found if f.mark is None)
    return counts


# --- a text as it is typed ---------------------------------------------------------------------


def typed_text(section_slug: str, field: str, row: str = "") -> Text | None:
    """The place a typed text is checked as (None: not a checked text). ``row``: a row's id
    (a row being edited), "new" (the add form) or "" (a field of the document)."""
    section = BY_SLUG.get(section_slug)
    if section is None:
        return None
    if not row:
        if field not in checked_fields(section):
            return None
        return Text(section, field, field, field_label(field), "")
    if field not in checked_row_fields(section) or not (row == "new" or row.isdigit()):
        return None
    row_id = int(row) if row.isdigit() else None
    noun = section.rows.noun
    label = f"New {noun}" if row_id is None else f"{noun[:1].upper()}{noun[1:]}"
    return Text(section, field, row_key(section, row_id or "new", field), label, "", row_id)


def saved_text(postmortem, place: Text) -> str:
    """What the document holds at ``place`` (its tables prefetched): "" for a new row."""
    if place.row is None:
        return "" if "/" in place.key else getattr(postmortem, place.field) or ""
    rows = getattr(postmortem, place.section.rows.related_name).all()
    row = next((r for r in rows if r.pk == place.row), None)
    return getattr(row, place.field) or "" if row is not None else ""


def check_typed(check: WordingCheck, place: Text, text: str) -> tuple[list[Finding], bool, set]:
    """The findings of a text being typed at ``place`` (with this document's marks), whether
    it was checked only in part, and the fingerprints of the saved text's findings (those a
    mark can be put on)."""
    found, partial = findings_in(check.checker, replace(place, text=text), check.marks)
    stored = replace(place, text=saved_text(check.postmortem, place))
    saved = {f.fingerprint for f in findings_in(check.checker, stored, {})[0]}
    return found, partial, saved
