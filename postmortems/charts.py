"""Chart geometry for /insights/: plain numbers and labels in, coordinates and text out.

Every coordinate is in its chart's SVG viewBox, rounded to a tenth of a pixel, so the
templates only place what they are given. Nothing here reads a request or the database:
`views.insights` gathers the figures from `postmortems.insights` and passes them in as
dates, numbers and strings (a time already said as a person says it, `format_minutes`).
"""

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

# --- Scales -------------------------------------------------------------------------------


class Axis(NamedTuple):
    maximum: float
    values: list[float]  # the tick values: 0 first, `maximum` last, one step apart

    @property
    def decimals(self) -> int:
        """The decimals a tick label needs to show the step exactly: 5 → 0, 2.5 → 1, 0.25 → 2."""
        step = self.values[1]
        return next((d for d in range(10) if abs(round(step, d) - step) <= 1e-9 * step), 10)


def nice_axis(top: float, *, integer: bool, ticks: int = 4) -> Axis:
    """An axis maximum ≥ top on a round step (1, 2, 2.5, 5 × 10ⁿ), and its tick values.

    A count axis (`integer`) steps by whole numbers and goes to at least `ticks`, so that one
    incident is not a bar of full height; any other axis over nothing goes from 0 to 1.
    """
    if integer:
        top = max(top, ticks)
    elif top <= 0:
        return Axis(1, [n / ticks for n in range(ticks + 1)])
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    factors = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(f * magnitude for f in factors if f * magnitude >= raw)
    if integer:
        step = max(1, round(step))
    count = math.ceil(top / step - 1e-9)
    return Axis(step * count, [step * n for n in range(count + 1)])


def format_number(value: float, decimals: int = 1) -> str:
    """`value` to at most `decimals` decimals, without trailing zeros: 4, 2.5, 0.25."""
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Tick:
    position: float  # y for a vertical axis, x for a horizontal one
    label: str


@dataclass(frozen=True)
class Scale:
    """The values of `axis` along `length` pixels from `origin`: rightwards, or `upward` (to a
    smaller y) for a vertical axis standing on its baseline."""

    axis: Axis
    origin: float
    length: float
    upward: bool = False

    def extent(self, value: float) -> float:
        """How many pixels `value` spans: the length of its bar."""
        return value / self.axis.maximum * self.length

    def position(self, value: float) -> float:
        if self.upward:
            return self.origin - self.extent(value)
        return self.origin + self.extent(value)

    @property
    def ticks(self) -> list[Tick]:
        decimals = self.axis.decimals
        return [Tick(_px(self.position(v)), format_number(v, decimals)) for v in self.axis.values]


def _px(value: float) -> float:
    """A coordinate, to a tenth of a pixel."""
    return round(value, 1)


# --- Layout -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """A chart's viewBox, `width` × `height`, and the margins around its plot area."""

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def baseline(self) -> int:
        """The y of the plot area's bottom edge, where bars stand and ticks start."""
        return self.top + self.plot_height

    @property
    def x_label_x(self) -> float:
        return _px(self.left + self.plot_width / 2)

    @property
    def x_label_y(self) -> int:
        return self.height - 4

    @property
    def y_label_y(self) -> float:
        return _px(self.top + self.plot_height / 2)


@dataclass(frozen=True)
class Bands:
    """`count` slots of equal width side by side, `length` pixels in all from `origin`."""

    origin: float
    length: float
    count: int

    @property
    def slot(self) -> float:
        return self.length / self.count if self.count else self.length

    def centre(self, index: int) -> float:
        return self.origin + (index + 0.5) * self.slot

    def start(self, index: int, width: float) -> float:
        """Where something `width` wide starts, centred in slot `index`."""
        return self.origin + index * self.slot + (self.slot - width) / 2


def stack(values: Sequence[float], scale: Scale) -> list[tuple[float, float]]:
    """(y, height) of each value's block in a column on an upward scale, the first at the
    bottom; a zero is a block of height 0 on top of those below it."""
    y, blocks = scale.origin, []
    for value in values:
        height = scale.extent(value)
        y -= height
        blocks.append((y, height))
    return blocks


def polylines(points: Sequence[tuple[float, float] | None]) -> list[str]:
    """The `points` attribute of each line through consecutive points; None breaks the line,
    and a point alone between breaks is no line (only its dot is drawn)."""
    lines, run = [], []
    for point in [*points, None]:
        if point is None:
            if len(run) > 1:
                lines.append(" ".join(run))
            run = []
        else:
            run.append(f"{point[0]},{point[1]}")
    return lines


def truncate(label: str, most: int = 17) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def table_rows(labels: Sequence, columns: Sequence[Sequence]) -> list[tuple]:
    """(label, cells) per label, a cell from each column: a chart's series as a table's rows."""
    cells = zip(*columns, strict=True) if columns else [()] * len(labels)
    return list(zip(labels, cells, strict=True))


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# --- What the templates draw ----------------------------------------------------------------


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
    year: str  # under the first labelled month and wherever the year changes


def month_labels(months: Sequence[datetime.date], bands: Bands, most: int) -> list[MonthLabel]:
    """A label under every month (every n-th if there are more than `most`); the year under
    the first and wherever it changes."""
    every = max(1, math.ceil(len(months) / most))
    labels, year = [], None
    for index, month in enumerate(months):
        if index % every:
            continue
        labels.append(
            MonthLabel(
                _px(bands.centre(index)),
                f"{month:%b}",
                f"{month:%Y}" if month.year != year else "",
            )
        )
        year = month.year
    return labels


@dataclass(frozen=True)
class Chart:
    frame: Frame
    summary: str  # the SVG's aria-label
    ticks: list[Tick]

    # The viewBox and the plot area's edges, as the templates name them.
    @property
    def width(self) -> int:
        return self.frame.width

    @property
    def height(self) -> int:
        return self.frame.height

    @property
    def left(self) -> int:
        return self.frame.left

    @property
    def top(self) -> int:
        return self.frame.top

    @property
    def right(self) -> int:
        return self.frame.plot_right

    @property
    def baseline(self) -> int:
        return self.frame.baseline

    @property
    def x_label_x(self) -> float:
        return self.frame.x_label_x

    @property
    def x_label_y(self) -> int:
        return self.frame.x_label_y

    @property
    def y_label_y(self) -> float:
        return self.frame.y_label_y


@dataclass(frozen=True)
class StackedBarChart(Chart):
    bars: list[Rect]
    totals: list[Label]  # above each month's bar
    labels: list[MonthLabel]


@dataclass(frozen=True)
class LineChart(Chart):
    unit_label: str
    segments: list[str]  # polyline points
    dots: list[Label]
    values: list[Label]  # each point's value above it, while there is room (7 at most)
    labels: list[MonthLabel]


@dataclass(frozen=True)
class BarRow:
    label: str
    label_y: float
    rect: Rect
    count: int
    count_x: float


@dataclass(frozen=True)
class BarRowsChart(Chart):
    bars: list[BarRow]
    tick_label_y: int
    x_label: str


# --- The charts of /insights/ ----------------------------------------------------------------

INCIDENTS_FRAME = Frame(640, 270, left=44, top=22, right=8, bottom=50)


def incidents_chart(
    months: Sequence[tuple[datetime.date, Sequence[tuple[str, str, int]]]],
) -> StackedBarChart:
    """Stacked bars, one per (month, [(severity, label, count), …]), the first severity at the
    bottom; a severity with no incident draws nothing."""
    frame = INCIDENTS_FRAME
    totals = [sum(count for _, _, count in parts) for _, parts in months]
    scale = Scale(
        nice_axis(max(totals, default=0), integer=True),
        frame.baseline,
        frame.plot_height,
        upward=True,
    )
    bands = Bands(frame.left, frame.plot_width, len(months))
    bar_w = min(bands.slot * 0.64, 34)
    bars, total_labels = [], []
    by_severity = {}  # severity: [label, count], in the order given
    for index, ((month, parts), total) in enumerate(zip(months, totals, strict=True)):
        x = bands.start(index, bar_w)
        blocks = stack([count for _, _, count in parts], scale)
        for (severity, label, count), (y, height) in zip(parts, blocks, strict=True):
            by_severity.setdefault(severity, [label, 0])[1] += count
            if count:
                bars.append(
                    Rect(
                        _px(x),
                        _px(y),
                        _px(bar_w),
                        _px(height),
                        f"sev-{severity}",
                        f"{month:%b %Y} · {label}: {count}",
                        f"{month:%Y-%m}",
                        severity,
                    )
                )
        if total:
            total_labels.append(Label(_px(x + bar_w / 2), _px(blocks[-1][0] - 5), str(total)))
    if months:
        counts = ", ".join(f"{label}: {count}" for label, count in by_severity.values())
        summary = (
            f"Stacked bar chart: {_counted(sum(totals), 'incident')} from "
            f"{months[0][0]:%B %Y} to {months[-1][0]:%B %Y} ({counts}). "
            "The table below the chart gives every month."
        )
    else:
        summary = "Stacked bar chart: no month to show."
    return StackedBarChart(
        frame=frame,
        summary=summary,
        ticks=scale.ticks,
        bars=bars,
        totals=total_labels,
        labels=month_labels([month for month, _ in months], bands, most=13),
    )


class TimeUnit(NamedTuple):
    most: float  # the largest value, in minutes, shown in this unit
    minutes: int  # minutes per unit
    label: str  # of the axis
    suffix: str  # of a value


TIME_UNITS = (
    TimeUnit(120, 1, "minutes", " min"),
    TimeUnit(72 * 60, 60, "hours", " h"),
    TimeUnit(math.inf, 24 * 60, "days", " d"),
)


def time_unit(largest_minutes: float) -> TimeUnit:
    return next(u for u in TIME_UNITS if largest_minutes <= u.most)


class TimePoint(NamedTuple):
    month: datetime.date
    minutes: float | None  # None: no data that month, a gap in the line
    count: int  # incidents the mean is taken over
    mean_label: str  # the minutes as a person says them


RESPONSE_FRAME = Frame(320, 200, left=40, top=22, right=10, bottom=46)


def response_chart(
    label: str, points: Sequence[TimePoint], *, mean_label: str, count: int
) -> LineChart:
    """A line of one measure's mean per month, in the unit its largest value reads best in;
    `mean_label` and `count` are over the whole range, for the summary."""
    frame = RESPONSE_FRAME
    largest = max((p.minutes for p in points if p.minutes is not None), default=0)
    unit = time_unit(largest)
    scale = Scale(
        nice_axis(largest / unit.minutes, integer=False),
        frame.baseline,
        frame.plot_height,
        upward=True,
    )
    bands = Bands(frame.left, frame.plot_width, len(points))
    line, dots, values = [], [], []
    for index, point in enumerate(points):
        if point.minutes is None:
            line.append(None)
            continue
        x, y = _px(bands.centre(index)), _px(scale.position(point.minutes / unit.minutes))
        line.append((x, y))
        dots.append(
            Label(
                x,
                y,
                f"{point.month:%b %Y}: {point.mean_label} ({_counted(point.count, 'incident')})",
            )
        )
        text = format_number(point.minutes / unit.minutes) + unit.suffix
        values.append(Label(max(x, frame.left + 20), _px(y - 8), text))  # clear of the ticks
    if dots:
        described = f", {mean_label} over {_counted(count, 'incident')}; " + "; ".join(
            d.text for d in dots
        )
    else:
        described = ": no incident in the range has both milestones"
    return LineChart(
        frame=frame,
        summary=f"Line chart: mean {label.lower()} per month{described}.",
        ticks=scale.ticks,
        unit_label=unit.label,
        segments=polylines(line),
        dots=dots,
        values=values if len(values) <= 7 else [],
        labels=month_labels([p.month for p in points], bands, most=7),
    )


ROW_HEIGHT, BAR_HEIGHT = 30, 18


def bar_rows_chart(rows: Sequence[tuple[str, int]], *, unit: str, width: int = 480) -> BarRowsChart:
    """Horizontal bars, one row per (label, count) in the order given, the count after the bar."""
    top, bottom = 6, 40
    height = top + ROW_HEIGHT * max(len(rows), 1) + bottom
    frame = Frame(width, height, left=112, top=top, right=32, bottom=bottom)
    scale = Scale(
        nice_axis(max((n for _, n in rows), default=0), integer=True), frame.left, frame.plot_width
    )
    bars = []
    for index, (label, count) in enumerate(rows):
        y = frame.top + index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        length = scale.extent(count)
        title = f"{label}: {_counted(count, unit)}"
        bars.append(
            BarRow(
                label=truncate(label),
                label_y=_px(y + BAR_HEIGHT / 2 + 4),
                rect=Rect(frame.left, _px(y), _px(length), BAR_HEIGHT, "", title),
                count=count,
                count_x=_px(frame.left + length + 5),
            )
        )
    described = "; ".join(b.rect.title for b in bars) if bars else "nothing to show"
    return BarRowsChart(
        frame=frame,
        summary=f"Bar chart: {described}.",
        ticks=scale.ticks,
        bars=bars,
        tick_label_y=frame.baseline + 16,
        x_label=unit.capitalize() + "s",
    )
