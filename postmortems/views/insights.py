"""/insights/: charts across incidents, drawn as inline SVG by the templates.

`postmortems.insights` computes the figures and `postmortems.charts` lays them out (the
coordinates in each SVG's viewBox); this module reads the date range and passes the one to
the other, so the templates only place what is given. No script and no style attribute: the
CSP allows neither.
"""

from django import forms
from django.shortcuts import render
from django.utils import timezone

from postmortems import charts
from postmortems import insights as figures
from postmortems.forms.base import DateInput

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
            "incidents_chart": charts.incidents_chart(
                [(m.month, [(c.severity, c.label, c.count) for c in m.counts]) for m in data.months]
            ),
            "response_charts": [_response_chart(s) for s in data.response_times],
            # The table under the charts: a row per month, a cell per measure.
            "response_rows": charts.table_rows(
                [m.month for m in data.months], [s.points for s in data.response_times]
            ),
            "services_chart": charts.bar_rows_chart(
                [(s.name, s.count) for s in data.services], unit="incident", width=360
            ),
            "final_chart": charts.bar_rows_chart(
                [(b.label, b.count) for b in data.days_to_final.buckets],
                unit="postmortem",
                width=360,
            ),
            "recent_final": data.days_to_final.documents[:RECENT_FINAL_SHOWN],
        },
    )


def _response_chart(series: figures.ResponseSeries) -> dict:
    """One measure: its figures, its mean as a person says it, and its line chart."""
    mean_label = figures.format_minutes(series.mean)
    points = [
        charts.TimePoint(p.month, p.minutes, p.count, figures.format_minutes(p.minutes))
        for p in series.points
    ]
    return {
        "series": series,
        "mean_label": mean_label,
        "chart": charts.response_chart(
            series.label, points, mean_label=mean_label, count=series.count
        ),
    }
