"""/insights/: charts across incidents, drawn as inline SVG by the templates.

`postmortems.insights` computes the figures; this module reads the date range and lays the
figures out as chart geometry (coordinates in each SVG's viewBox), so the templates only
place what is given. No script and no style attribute: the CSP allows neither.
"""

import math
from dataclasses import dataclass

from django import forms
from django.shortcuts import render
from django.utils import timezone

from postmortems import insights as figures
from postmortems.forms import DateInput

MAX_MONTHS = 120
RECENT_FINAL_SHOWN = 10


class InsightsRangeForm(forms.Form):
    """The incident dates to chart. Empty fields take the default; bad input never a 500."""

    date_error = "Enter a date as YYYY-MM-DD, e.g. 2026-01-29."

    start = forms.DateField(
        required=False,
        label="From",
        input_formats=["%Y-%m-%d"],
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
        error_messages={"invalid": date_error},
    )
    end = forms.DateField(
        required=False,
        label="To",
        input_formats=["%Y-%m-%d"],
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
        error_messages={"invalid": date_error},
    )

    def __init__(self, *args, today, **kwargs):
        self.today = today
        self.date_range = figures.default_range(today)
        kwargs.setdefault("initial", {"start": self.date_range.start, "end": self.date_range.end})
        super().__init__(*args, **kwargs)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] += " is-invalid"
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}_error"

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        end = data.get("end") or self.today
        start = data.get("start") or figures.range_ending(end).start
        if start > end:
            field = "end" if data.get("end") else "start"
            self.add_error(field, "The start must be on or before the end.")
        elif len(figures.DateRange(start, end).months) > MAX_MONTHS:
            self.add_error("start", f"Choose a range of at most {MAX_MONTHS // 12} years.")
        else:
            self.date_range = figures.DateRange(start, end)
        return data


def insights(request):
    today = timezone.now().date()
    form = InsightsRangeForm(request.GET or None, today=today)
    if form.is_bound:
        form.is_valid()  # on errors the default range stays, and the errors show by the fields
    data = figures.insights_for(request.user, form.date_range, today)
    return render(
        request,
        "postmortems/insights.html",
        {
            "form": form,
            "today": today,
            "insights": data,
            "is_default_range": form.date_range == figures.default_range(today),
            "incidents_chart": incidents_chart(data.months),
            "response_charts": [response_chart(s) for s in data.response_times],
            # The table under the charts: a row per month, a cell per measure.
            "response_rows": list(
                zip(
                    [m.month for m in data.months],
                    zip(*[s.points for s in data.response_times], strict=True),
                    strict=True,
                )
            ),
            "services_chart": bar_rows_chart(
                [(s.name, s.count) for s in data.services], unit="incident", width=360
            ),
            "final_chart": bar_rows_chart(
                [(b.label, b.count) for b in data.days_to_final.buckets],
                unit="postmortem",
                width=360,
            ),
            "recent_final": data.days_to_final.documents[:RECENT_FINAL_SHOWN],
        },
    )


# --- Chart geometry ----------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    position: float  # y for a vertical axis, x for a horizontal one
    label: str


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str
    month: str = ""  # YYYY-MM, for a bar of the monthly chart
    severity: str = ""


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class MonthLabel:
    x: float
    month: str
    year: str  # under the first labelled month and every January


def nice_axis(top: float, *, integer: bool, ticks: int = 4) -> tuple[float, list[float]]:
    """An axis maximum ≥ top on a round step (1, 2, 2.5, 5 × 10ⁿ), and its tick values.

    A count axis goes to at least 4, so that one incident is not a bar of full height.
    """
    if integer:
        top = max(top, ticks)
    if top <= 0:
        return (ticks if integer else 1), [
            n * (1 if integer else 1 / ticks) for n in range(ticks + 1)
        ]
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    factors = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(f * magnitude for f in factors if f * magnitude >= raw)
    if integer:
        step = max(1, round(step))
    count = math.ceil(top / step - 1e-9)
    return step * count, [step * n for n in range(count + 1)]


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") if value != int(value) else str(int(value))


def _r(value: float) -> float:
    return round(value, 1)


def _month_labels(months, left, slot, most=13) -> list[MonthLabel]:
    """A label under every month (every n-th if there are more than `most`); the year where it
    changes."""
    every = math.ceil(len(months) / most)
    labels, year = [], None
    for index, month in enumerate(months):
        if index % every:
            continue
        labels.append(
            MonthLabel(
                _r(left + (index + 0.5) * slot),
                f"{month:%b}",
                f"{month:%Y}" if month.year != year else "",
            )
        )
        year = month.year
    return labels


def incidents_chart(months) -> dict:
    """Stacked bars, one per month, most severe at the bottom."""
    width, height = 640, 270
    left, right, top, bottom = 44, 8, 22, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    axis_max, tick_values = nice_axis(max((m.total for m in months), default=0), integer=True)
    slot = plot_w / len(months)
    bar_w = min(slot * 0.64, 34)
    bars, totals = [], []
    for index, month in enumerate(months):
        x = left + index * slot + (slot - bar_w) / 2
        y = top + plot_h
        for part in month.counts:
            if not part.count:
                continue
            h = part.count / axis_max * plot_h
            y -= h
            bars.append(
                Rect(
                    _r(x),
                    _r(y),
                    _r(bar_w),
                    _r(h),
                    f"sev-{part.severity}",
                    f"{month.month:%b %Y} · {part.label}: {part.count}",
                    f"{month.month:%Y-%m}",
                    part.severity,
                )
            )
        if month.total:
            totals.append(Label(_r(x + bar_w / 2), _r(y - 5), str(month.total)))
    total = sum(m.total for m in months)
    by_severity = ", ".join(f"{s.label}: {s.count}" for s in figures.severity_totals(months))
    return {
        "summary": (
            f"Stacked bar chart: {total} incident{'' if total == 1 else 's'} from "
            f"{months[0].month:%B %Y} to {months[-1].month:%B %Y} ({by_severity}). "
            "The table below the chart gives every month."
        ),
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "baseline": top + plot_h,
        "ticks": [Tick(_r(top + plot_h - v / axis_max * plot_h), _number(v)) for v in tick_values],
        "bars": bars,
        "totals": totals,
        "labels": _month_labels([m.month for m in months], left, slot),
        "y_label_y": _r(top + plot_h / 2),
        "x_label_y": height - 4,
        "x_label_x": _r(left + plot_w / 2),
    }


UNITS = (
    # (largest value in minutes shown in this unit, minutes per unit, axis label, suffix)
    (120, 1, "minutes", " min"),
    (72 * 60, 60, "hours", " h"),
    (math.inf, 24 * 60, "days", " d"),
)


def response_chart(series) -> dict:
    """One small line chart per measure, on its own scale; a month without data is a gap."""
    width, height = 320, 200
    left, right, top, bottom = 40, 10, 22, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [p.minutes for p in series.points if p.minutes is not None]
    largest = max(values, default=0)
    _, per_unit, unit_label, suffix = next(u for u in UNITS if largest <= u[0])
    axis_max, tick_values = nice_axis(largest / per_unit, integer=False)
    slot = plot_w / len(series.points)

    def y_of(minutes):
        return _r(top + plot_h - minutes / per_unit / axis_max * plot_h)

    segments, run, dots, values = [], [], [], []
    for index, point in enumerate(series.points):
        x = _r(left + (index + 0.5) * slot)
        if point.minutes is None:
            if len(run) > 1:
                segments.append(" ".join(run))
            run = []
            continue
        y = y_of(point.minutes)
        run.append(f"{x},{y}")
        incidents = f"{point.count} incident{'' if point.count == 1 else 's'}"
        mean = figures.format_minutes(point.minutes)
        dots.append(Label(x, y, f"{point.month:%b %Y}: {mean} ({incidents})"))
        values.append(
            # Kept clear of the axis labels on the left.
            Label(
                max(x, left + 20), _r(y - 8), _number(round(point.minutes / per_unit, 1)) + suffix
            )
        )
    if len(run) > 1:
        segments.append(" ".join(run))
    mean_label = figures.format_minutes(series.mean)
    return {
        "summary": (
            f"Line chart: mean {series.label.lower()} per month"
            + (
                f", {mean_label} over {series.count} incident{'' if series.count == 1 else 's'}; "
                + "; ".join(d.text for d in dots)
                if dots
                else ": no incident in the range has both milestones"
            )
            + "."
        ),
        "series": series,
        "mean_label": mean_label,
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "baseline": top + plot_h,
        "ticks": [Tick(y_of(v * per_unit), _number(round(v, 2))) for v in tick_values],
        "unit_label": unit_label,
        "segments": segments,
        "dots": dots,
        # Each point's value written above it while there is room for it.
        "values": values if len(values) <= 7 else [],
        "labels": _month_labels([p.month for p in series.points], left, slot, most=7),
        "y_label_y": _r(top + plot_h / 2),
        "x_label_y": height - 4,
        "x_label_x": _r(left + plot_w / 2),
    }


def bar_rows_chart(rows, *, unit: str, width: int = 480) -> dict:
    """Horizontal bars: one row per (label, count), the count written after the bar."""
    row_h, bar_h = 30, 18
    left, right, top, bottom = 112, 32, 6, 40
    plot_w = width - left - right
    height = top + row_h * max(len(rows), 1) + bottom
    axis_max, tick_values = nice_axis(max((n for _, n in rows), default=0), integer=True)
    bars = []
    for index, (label, count) in enumerate(rows):
        y = top + index * row_h + (row_h - bar_h) / 2
        length = count / axis_max * plot_w
        plural = unit if count == 1 else unit + "s"
        bars.append(
            {
                "label": label if len(label) <= 17 else label[:16] + "…",
                "label_y": _r(y + bar_h / 2 + 4),
                "rect": Rect(left, _r(y), _r(length), bar_h, "", f"{label}: {count} {plural}"),
                "count": count,
                "count_x": _r(left + length + 5),
            }
        )
    baseline = top + row_h * max(len(rows), 1)
    return {
        "summary": "Bar chart: "
        + ("; ".join(b["rect"].title for b in bars) if bars else "nothing to show")
        + ".",
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "baseline": baseline,
        "bars": bars,
        "ticks": [Tick(_r(left + v / axis_max * plot_w), _number(v)) for v in tick_values],
        "tick_label_y": baseline + 16,
        "x_label": unit.capitalize() + "s",
        "x_label_x": _r(left + plot_w / 2),
        "x_label_y": height - 4,
    }
