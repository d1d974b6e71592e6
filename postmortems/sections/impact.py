"""Impact: who was affected and for how long, and what it cost (revenue, reputation, the SLOs
violated and the error budget consumed)."""

import datetime
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from postmortems import metrics
from postmortems.exchange import blocks
from postmortems.exchange.markup import (
    DASH,
    bullet,
    format_decimal,
    format_time,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_time,
    section_heading,
)
from postmortems.fields import CountField, NumberField, UTCDateTimeField
from postmortems.forms.base import SectionForm, markdown_area
from postmortems.sections.base import Section, has, milestone
from postmortems.values import names_its_day


class ImpactFields(models.Model):
    affected_users = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many users were affected (an estimate is fine)."
    )
    affected_users_percent = models.DecimalField(
        "share of users affected (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="e.g. 15 for “15% of daily active users”.",
    )
    affected_users_basis = models.CharField(
        "share of",
        max_length=100,
        blank=True,
        help_text="What the share is of, e.g. “daily active users”.",
    )
    regions = models.CharField(
        "geographic impact",
        max_length=200,
        blank=True,
        help_text="e.g. Global (all regions), eu-west-1.",
    )
    outage_started_at = models.DateTimeField(
        "outage start (UTC)", null=True, blank=True, help_text="When the complete outage began."
    )
    outage_ended_at = models.DateTimeField(
        "outage end (UTC)", null=True, blank=True, help_text="When service was fully restored."
    )
    degraded_minutes = models.PositiveIntegerField(
        "degraded period (minutes)",
        null=True,
        blank=True,
        help_text="Minutes of degraded service beyond the outage, if any.",
    )
    degraded_description = models.CharField(
        "degraded service", max_length=200, blank=True, help_text="e.g. slow responses."
    )
    revenue_impact = models.TextField(
        blank=True,
        help_text="If applicable, e.g. “Estimated $2,500 in failed transactions”. Markdown.",
    )
    reputation_impact = models.TextField(
        blank=True,
        help_text="User complaints, social media, press coverage. Markdown.",
    )
    slo_name = models.CharField(
        "SLO",
        max_length=120,
        blank=True,
        help_text="Which SLO was violated, e.g. API Availability.",
    )
    slo_target = models.DecimalField(
        "SLO target (%)",
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="e.g. 99.9. Strictly between 0 and 100.",
    )
    slo_window_days = models.PositiveSmallIntegerField(
        "SLO window (days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="The error budget's window, e.g. 28 or 30 days.",
    )
    slo_achieved = models.DecimalField(
        "SLO achieved (%)",
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="What the SLI measured over the window, e.g. 99.73.",
    )
    error_budget_consumed_minutes = models.DecimalField(
        "error budget consumed (minutes)",
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Minutes of the error budget this incident used, e.g. 31.2.",
    )

    class Meta:
        abstract = True


class ImpactForm(SectionForm):
    outage_started_at = UTCDateTimeField(label="Outage start (UTC)", required=False)
    outage_ended_at = UTCDateTimeField(label="Outage end (UTC)", required=False)

    class Meta:
        fields = [
            "affected_users",
            "affected_users_percent",
            "affected_users_basis",
            "regions",
            "outage_started_at",
            "outage_ended_at",
            "degraded_minutes",
            "degraded_description",
            "revenue_impact",
            "reputation_impact",
            "slo_name",
            "slo_target",
            "slo_achieved",
            "slo_window_days",
            "error_budget_consumed_minutes",
        ]
        widgets = {"revenue_impact": markdown_area(2), "reputation_impact": markdown_area(3)}
        # Counts typed as people write them (1,200), numbers shown as typed (99.9, not 99.9000).
        field_classes = {
            **dict.fromkeys(("affected_users", "degraded_minutes", "slo_window_days"), CountField),
            **dict.fromkeys(
                (
                    "affected_users_percent",
                    "slo_target",
                    "slo_achieved",
                    "error_budget_consumed_minutes",
                ),
                NumberField,
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("outage_started_at", "outage_ended_at"):
            self.fields[name].base_date = self.instance.incident_date
        # Said beside a field, not an error: {field: text}. The editor shows them.
        self.notes = {}
        start, end = self.instance.outage_started_at, self.instance.outage_ended_at
        if not self.is_bound and start and end and end.date() == _next_day(start.date()):
            self.notes["outage_ended_at"] = _crossing_note(start, end, "Ends")

    def clean_slo_target(self):
        target = self.cleaned_data.get("slo_target")
        if target is not None and not 0 < target < 100:
            raise ValidationError(
                "An SLO target is a percentage strictly between 0 and 100, e.g. 99.9."
            )
        return target

    def clean(self):
        data = super().clean()
        start, end = data.get("outage_started_at"), data.get("outage_ended_at")
        if start and end and end < start and self._crosses_midnight(start, end):
            # 23:50 to 00:20, both typed on the incident's day: it ended the next day.
            data["outage_ended_at"] = end = end + ONE_DAY
            self.notes["outage_ended_at"] = _crossing_note(start, end, "Read as ending")
        elif start and end and end < start:
            later = _next_day(start)
            self.add_error(
                "outage_ended_at",
                "The outage cannot end before it started."
                + (
                    " If it ended on a later day, write that day too, e.g. "
                    f"{later:%Y-%m-%d} {end:%H:%M}."
                    if later
                    else ""
                ),
            )
        if data.get("slo_target") is not None and not data.get("slo_window_days"):
            self.add_error(
                "slo_window_days",
                "Give the SLO's window (e.g. 28 days) to compute the error budget.",
            )
        return data

    def _crosses_midnight(self, start, end) -> bool:
        """Both times typed without a date, and read as the next day the end comes less than
        MIDNIGHT_CROSSING after the start (15:10 to 14:23 is a slip, not a 23-hour outage)."""
        typed = [
            self.data.get(self.add_prefix(n), "") for n in ("outage_started_at", "outage_ended_at")
        ]
        moved = _next_day(end)
        return not any(names_its_day(text) for text in typed) and (
            moved is not None and moved - start <= MIDNIGHT_CROSSING
        )


# An outage whose end, typed without a date, is before its start is read as ending the next
# day when that makes it at most this long.
MIDNIGHT_CROSSING = datetime.timedelta(hours=12)
ONE_DAY = datetime.timedelta(days=1)


def _next_day(value):
    """The value one day later, or None on the calendar's last day (9999-12-31)."""
    try:
        return value + ONE_DAY
    except OverflowError:
        return None


def _crossing_note(start, end, verb) -> str:
    return (
        f"{verb} the next day, {end:%Y-%m-%d} at {end:%H:%M} UTC: the outage crosses midnight "
        f"({metrics.format_duration(end - start)})."
    )


# --- the template's Markdown -------------------------------------------------------------------


def write(c, ctx) -> list[str]:
    day = parse_date(c.get("incident_date"))
    lines = [*section_heading("Impact"), "### User Impact", ""]
    lines += bullet("Affected Users", _affected_users(c))
    lines += bullet("Geographic Impact", c.get("regions") or DASH)
    lines += bullet("Duration", _duration(c, ctx.events, day))
    lines += bullet("Degraded Period", _degraded(c))
    lines += ["", "### Business Impact", ""]
    lines += bullet("Revenue Impact", c.get("revenue_impact"))
    lines += bullet("Reputation Impact", c.get("reputation_impact"))
    lines += bullet("SLO Impact", _slo(c))
    return lines + bullet("Error Budget", _error_budget(c))


def _affected_users(c) -> str:
    parts = []
    if c.get("affected_users") is not None:
        parts.append(f"~{int(c['affected_users']):,} users")
    percent = c.get("affected_users_percent")
    basis = (c.get("affected_users_basis") or "").strip()
    if percent is not None:
        parts.append(f"({format_decimal(percent)}%" + (f" of {basis})" if basis else ")"))
    elif basis:
        parts.append(f"(of {basis})")
    return " ".join(parts) or DASH


def _duration(c, events, day) -> str:
    start, end = (
        parse_datetime(c.get("outage_started_at")),
        parse_datetime(c.get("outage_ended_at")),
    )
    if start or end:
        value = end - start if start and end and end >= start else None
        span = f"{format_time(start, day) or '?'}–{format_time(end, day) or '?'} UTC"
        return f"{metrics.format_duration(value)} ({span})"
    value = metrics.response_figures(events).time_to_resolve.value
    return f"{metrics.format_duration(value)} (from the timeline)" if value is not None else DASH


def _degraded(c) -> str:
    minutes, text = c.get("degraded_minutes"), (c.get("degraded_description") or "").strip()
    if minutes is None and not text:
        return DASH
    head = f"additional {minutes} minutes" if minutes is not None else DASH
    return head + (f" ({text})" if text else "")


def _slo(c) -> str:
    name = (c.get("slo_name") or "").strip()
    target, achieved = c.get("slo_target"), c.get("slo_achieved")
    if not name and target is None and achieved is None:
        return DASH
    text = f"{name} SLO".strip()
    if (
        target is not None
        and achieved is not None
        and Decimal(str(achieved)) < Decimal(str(target))
    ):
        text += " violated"
    if target is not None or achieved is not None:
        figures = format_decimal(target, 2) + "%" if target is not None else "?"
        if achieved is not None:
            figures += f" → {format_decimal(achieved, 2)}%"
        text += f" ({figures})"
    return text


def _error_budget(c) -> str:
    budget = metrics.error_budget_minutes(_dec(c.get("slo_target")), c.get("slo_window_days"))
    consumed = _dec(c.get("error_budget_consumed_minutes"))
    window = c.get("slo_window_days")
    share = metrics.error_budget_share(consumed, budget)
    inside = []
    if consumed is not None:
        inside.append(
            f"{format_decimal(consumed)} of {format_decimal(budget)} minutes"
            if budget is not None
            else f"{format_decimal(consumed)} minutes"
        )
    if window:
        inside.append(f"{window}-day window")
    if not inside:
        return DASH
    head = f"{format_decimal(share)}% consumed " if share is not None else ""
    return f"{head}({', '.join(inside)})"


def _dec(value):
    return None if value in (None, "") else Decimal(str(value))


def read(parsed, block) -> None:
    for sub in block.subs:
        title = blocks.norm(sub.title)
        if title not in ("user impact", "business impact"):
            blocks.unknown(parsed, sub)
            continue
        items, leftovers = blocks.bullets(sub.lines)
        blocks.leftovers(parsed, leftovers, f"not a “- **Label**: value” line under {sub.title}")
        for number, text, label, value in items:
            handler = IMPACT_LABELS.get(label)
            if handler is None:
                parsed.problem(number, text, "unknown impact line")
            elif value and handler(parsed, value, number, text) is False:
                parsed.problem(number, text, "could not read this value")
    blocks.leftovers(parsed, block.lines, "text outside the User Impact / Business Impact lists")


def _affected(parsed, value, number, text):
    match = re.fullmatch(
        r"(?:~?(?P<n>[\d,]+)(?: [\w ]*?users?(?: affected)?)?)?\s*"
        r"(?:\((?:(?P<pct>[\d.]+)%)?\s*(?:of (?P<basis>.*))?\))?",
        value.strip(),
    )
    if not match or not (match["n"] or match["pct"] or match["basis"]):
        return False
    if match["n"]:
        if (users := blocks.to_int(match["n"].replace(",", ""))) is None:
            return False
        parsed.set("affected_users", users, number, text)
    if match["pct"]:
        parsed.set("affected_users_percent", parse_decimal(match["pct"]), number, text)
    if match["basis"]:
        parsed.set("affected_users_basis", match["basis"].strip(), number, text)
    return True


def _read_duration(parsed, value, number, text):
    match = re.search(r"\((?P<s>[^–()]*?)–(?P<e>[^–()]*?) UTC\)\s*$", value)
    if not match:
        # A computed duration (from the timeline) carries nothing to import.
        return bool(re.search(r"from the timeline|minute|\bh\b|\bd\b", value))
    day = parsed.incident_date
    for group, name in (("s", "outage_started_at"), ("e", "outage_ended_at")):
        raw = match[group].strip()
        if raw in ("?", ""):
            continue
        moment = parse_time(raw, day)
        if moment is None:
            return False
        parsed.set(name, moment, number, text)
    return True


def _read_degraded(parsed, value, number, text):
    match = re.fullmatch(
        r"(?:(?:additional )?(?P<m>\d+) minutes?|—)?\s*(?:\((?P<d>.*)\))?", value.strip()
    )
    if not match or not (match["m"] or match["d"]):
        return False
    if match["m"]:
        if (minutes := blocks.to_int(match["m"])) is None:
            return False
        parsed.set("degraded_minutes", minutes, number, text)
    if match["d"]:
        parsed.set("degraded_description", match["d"].strip(), number, text)
    return True


SLO_LINE = re.compile(
    r"(?P<name>(?:.*?\S)??)\s*+SLO(?: violated| met)?"
    r"(?: \((?:(?P<t>[\d.]+)%|\?)(?: → (?P<a>[\d.]+)%)?\))?"
)


BUDGET_WINDOW = re.compile(r"(?<!\d)(?P<w>\d++)-day")  # from the start of a run of digits


def _read_slo(parsed, value, number, text):
    match = SLO_LINE.fullmatch(value.strip())
    if not match:
        return False
    if match["name"]:
        parsed.set("slo_name", match["name"].strip(), number, text)
    if match["t"]:
        parsed.set("slo_target", parse_decimal(match["t"]), number, text)
    if match["a"]:
        parsed.set("slo_achieved", parse_decimal(match["a"]), number, text)
    return True


def _budget(parsed, value, number, text):
    consumed = re.search(r"\((?P<c>[\d.]+)(?: of [\d.]+)? minutes", value)
    window = BUDGET_WINDOW.search(value)
    if not consumed and not window:
        return False
    days = blocks.to_int(window["w"]) if window else None
    if window and days is None:
        return False
    if consumed:
        parsed.set("error_budget_consumed_minutes", parse_decimal(consumed["c"]), number, text)
    if window:
        parsed.set("slo_window_days", days, number, text)
    return True


def _text_field(name):
    def handler(parsed, value, number, text):
        parsed.set(name, value, number, text)

    return handler


IMPACT_LABELS = {
    "affected users": _affected,
    "geographic impact": _text_field("regions"),
    "duration": _read_duration,
    "degraded period": _read_degraded,
    "revenue impact": _text_field("revenue_impact"),
    "reputation impact": _text_field("reputation_impact"),
    "slo impact": _read_slo,
    "error budget": _budget,
}


SECTION = Section(
    "impact",
    "Impact",
    "Who was affected and for how long (user impact), and what it cost (business impact: "
    "revenue, reputation, the SLOs violated and the error budget consumed).",
    fields_model=ImpactFields,
    form_base=ImpactForm,
    shows_figures=True,
    checks=(
        ("Affected users", lambda p: p.affected_users is not None or p.affected_users_percent is not None),
        ("Geographic impact", has("regions")),
        ("Outage duration", lambda p: bool(p.outage_started_at and p.outage_ended_at) or milestone("resolved")(p)),
        ("Business impact", lambda p: bool(p.revenue_impact or p.reputation_impact)),
        ("SLO impact", lambda p: bool(p.slo_name and p.slo_target is not None)),
    ),
    search=dict.fromkeys(
        ("affected_users_basis", "regions", "degraded_description", "revenue_impact",
         "reputation_impact", "slo_name"),
        "C",
    ),
    unsearched={
        "affected_users": "a number",
        "affected_users_percent": "a number",
        "outage_started_at": "a time",
        "outage_ended_at": "a time",
        "degraded_minutes": "a number",
        "slo_target": "a number",
        "slo_window_days": "a number",
        "slo_achieved": "a number",
        "error_budget_consumed_minutes": "a number",
    },
    write=write,
    read=read,
    headings=("impact",),
)  # fmt: skip
