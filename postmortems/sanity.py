"""Sanity warnings: what looks wrong in a document, said beside it, never in the way.

A warning never stops a save or a submit; it says what to look at again, in a sentence: an
incident date in the future, a timeline event days away from the incident, milestones out
of order or marked twice (and which of the events the figures use), more than the whole
error budget consumed, an action item due before the incident, a P0/P1 item nobody owns or
with no due date.

`warnings_for` is pure: it reads the document as `Postmortem.objects.with_document()` loaded
it (its tables prefetched) and makes no query. The page context carries the list
(`presentation.document_context`), so the editor, its htmx row answers and the read view
show the same warnings; each names its section, and the field or the table rows it is about,
so it can be shown beside them.
"""

import datetime
from dataclasses import dataclass

from postmortems import metrics
from postmortems.metrics import Milestone
from postmortems.values import number_text, single_line, utc_text

# A timeline event further than this from the incident's date (in calendar days, UTC) is
# probably typed on the wrong day.
FAR_DAYS = 2

# An event typed without its date after one late in the day: within this, the date is missing.
MIDNIGHT_SLIP = datetime.timedelta(hours=12)

# Milestones in the order an incident goes through them (metrics.Milestone's order).
ORDER = [m.value for m in Milestone]

# The figures taken between two milestones (metrics.response_figures): out of order, they are
# not computed.
FIGURES = {
    (Milestone.STARTED, Milestone.DETECTED): "time to detect",
    (Milestone.DETECTED, Milestone.ALERTED): "time to page",
    (Milestone.DETECTED, Milestone.ACKNOWLEDGED): "time to acknowledge",
    (Milestone.STARTED, Milestone.MITIGATED): "time to mitigate",
    (Milestone.STARTED, Milestone.RESOLVED): "time to resolve",
}

# A P0 or P1 action item needs someone to do it and a date to do it by.
URGENT = {"p0": "P0", "p1": "P1"}


@dataclass(frozen=True)
class Warning:  # (the page's word; this module never needs the builtin)
    """One thing to look at again. `section` is the section's slug; `field` the document's
    (or the rows') field concerned; `rows` the ids of the table rows concerned; `where` says
    which, for a list away from them (the sidebar); `message` is plain text, and `brief` its
    short form for beside a row of a table (the message when there is none)."""

    section: str
    message: str
    where: str
    field: str = ""
    rows: tuple[int, ...] = ()
    brief: str = ""

    @property
    def short(self) -> str:
        return self.brief or self.message


def warnings_for(postmortem, *, today: datetime.date | None = None) -> list[Warning]:
    """Every warning of the document, in the sections' order. `today` is the UTC date."""
    today = today or datetime.datetime.now(datetime.UTC).date()
    events = list(postmortem.timeline.all())
    items = list(postmortem.action_items.all())
    day = postmortem.incident_date
    return [
        *_future_date(day, today),
        *_error_budget(postmortem),
        *_far_events(events, day),
        *_milestones_out_of_order(events, day),
        *_doubled_milestones(events, day),
        *_due_before_incident(items, day),
        *_urgent_without_owner_or_date(items),
    ]


# --- where the templates look them up ----------------------------------------------------------


def in_section(warnings, slug: str) -> list[Warning]:
    return [w for w in warnings if w.section == slug]


def on_field(warnings, slug: str, field: str) -> list[Warning]:
    """A section's warnings about one of its fields (not about a row)."""
    return [w for w in warnings if w.section == slug and w.field == field and not w.rows]


def on_row(warnings, slug: str, row_id) -> list[Warning]:
    return [w for w in warnings if w.section == slug and row_id in w.rows]


# --- the rules ---------------------------------------------------------------------------------


def _future_date(day, today):
    if day and day > today:
        yield Warning(
            "overview",
            f"The incident date, {day:%Y-%m-%d}, is in the future (today is {today:%Y-%m-%d}, "
            "UTC). Is it the day the incident began?",
            "Incident date",
            field="incident_date",
        )


def _error_budget(pm):
    budget = metrics.error_budget_minutes(pm.slo_target, pm.slo_window_days)
    consumed = pm.error_budget_consumed_minutes
    if budget is None or consumed is None or not budget or consumed <= budget:
        return
    share = metrics.error_budget_share(consumed, budget)
    yield Warning(
        "impact",
        f"{number_text(consumed)} minutes consumed is {number_text(share)} % of the error "
        f"budget, {number_text(budget)} minutes ({number_text(pm.slo_target)} % over "
        f"{pm.slo_window_days} days): more than all of it. Check the minutes, the SLO target "
        "and the window.",
        "Error budget consumed",
        field="error_budget_consumed_minutes",
    )


def _event_label(event, day) -> str:
    return f"Event at {utc_text(event.occurred_at, day)}"


def _far_events(events, day):
    if not day:
        return
    for event in events:
        days = (event.occurred_at.astimezone(datetime.UTC).date() - day).days
        if abs(days) > FAR_DAYS:
            side = "before" if days < 0 else "after"
            yield Warning(
                "timeline",
                f"{abs(days)} days {side} the incident date ({day:%Y-%m-%d}): more than "
                f"{FAR_DAYS} days away from it. Is the date right?",
                _event_label(event, day),
                field="occurred_at",
                rows=(event.pk,),
                brief=f"{abs(days)} days {side} the incident date: is the date right?",
            )


def _first_events(events) -> dict:
    """{milestone: the event the figures take it from}: the earliest, the first listed of
    equal times (metrics.first_milestones keeps the same one)."""
    found = {}
    for event in events:
        mark = event.milestone
        if mark and (mark not in found or event.occurred_at < found[mark].occurred_at):
            found[mark] = event
    return found


def _quoted(mark) -> str:
    return f"“{Milestone(mark).label}”"


def _milestones_out_of_order(events, day):
    first = _first_events(events)
    for index, later in enumerate(ORDER):
        if later not in first:
            continue
        at = first[later].occurred_at
        ahead = [m for m in ORDER[:index] if m in first and first[m].occurred_at > at]
        if not ahead:
            continue
        names = " and ".join(f"{_quoted(m)} ({utc_text(first[m].occurred_at, day)})" for m in ahead)
        lost = [FIGURES[(m, later)] for m in ahead if (m, later) in FIGURES]
        message = (
            f"{_quoted(later)} ({utc_text(at, day)}) is before {names}, which "
            f"{'come' if len(ahead) > 1 else 'comes'} first in an incident"
            + (f": the {' and the '.join(lost)} cannot be computed." if lost else ".")
        )
        if day and at.date() == day and _after_midnight(at, [first[m].occurred_at for m in ahead]):
            message += (
                f" If it happened after midnight, write its date: "
                f"{day + datetime.timedelta(days=1):%Y-%m-%d} {at:%H:%M}."
            )
        yield Warning(
            "timeline",
            message,
            _event_label(first[later], day),
            field="milestone",
            rows=(first[later].pk, *(first[m].pk for m in ahead)),
            brief=f"Out of order: {_quoted(later)} ({utc_text(at, day)}) is before {names}.",
        )


def _after_midnight(at, ahead) -> bool:
    """Read as the next day, `at` would come soon after every one of `ahead` (23:50 then 00:20
    typed on the same day): then the date is what is missing. Never on the calendar's last
    day (there is no next one)."""
    try:
        moved = at + datetime.timedelta(days=1)
        return all(t < moved <= t + MIDNIGHT_SLIP for t in ahead)
    except OverflowError:
        return False


def _doubled_milestones(events, day):
    first = _first_events(events)
    for mark in ORDER:
        marked = [e for e in events if e.milestone == mark]
        if len(marked) < 2:
            continue
        used = first[mark]
        times = ", ".join(utc_text(e.occurred_at, day) for e in marked)
        yield Warning(
            "timeline",
            f"{_quoted(mark)} is marked on {len(marked)} events ({times}). The figures use the "
            f"earliest, at {utc_text(used.occurred_at, day)} (“{_short(used.description)}”); "
            "keep the mark on one event.",
            f"{Milestone(mark).label} (marked {len(marked)} times)",
            field="milestone",
            rows=tuple(e.pk for e in marked),
            brief=f"{_quoted(mark)} marked {len(marked)} times: the figures use "
            f"{utc_text(used.occurred_at, day)}.",
        )


def _item_label(item) -> str:
    return f"Action item “{_short(item.action)}”"


def _due_before_incident(items, day):
    if not day:
        return
    for item in items:
        if item.due_date and item.due_date < day:
            yield Warning(
                "action-items",
                f"Due {item.due_date:%Y-%m-%d}, before the incident ({day:%Y-%m-%d}). Is the "
                "due date right?",
                _item_label(item),
                field="due_date",
                rows=(item.pk,),
                brief="Due before the incident date: is the date right?",
            )


def _urgent_without_owner_or_date(items):
    for item in items:
        if item.priority not in URGENT or item.status == "done":
            continue
        missing = []
        if not item.owner_id and not (item.owner_name or "").strip():
            missing.append("an owner")
        if item.due_date is None:
            missing.append("a due date")
        if missing:
            yield Warning(
                "action-items",
                f"A {URGENT[item.priority]} action item without {' or '.join(missing)}: say "
                f"who does it and by when.",
                _item_label(item),
                field="owner" if "an owner" in missing else "due_date",
                rows=(item.pk,),
                brief=f"{URGENT[item.priority]} without {' or '.join(missing)}.",
            )


def _short(text, limit=48) -> str:
    text = single_line(text or "")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
