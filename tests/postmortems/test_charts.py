"""postmortems.charts: the geometry of the /insights/ charts, from plain values, no database.

The frames are those of the page: the monthly chart is 640 × 270 with its plot from x 44 to
632 and y 22 to 220 (588 × 198); a line chart 320 × 200, plot x 40–310, y 22–154 (270 × 132);
a bar-rows chart has its plot from x 112, 32 px short of its width, a row every 30 px from y 6.
"""

import datetime

import pytest

from postmortems.charts import (
    Axis,
    Bands,
    Frame,
    Label,
    Scale,
    TimePoint,
    bar_rows_chart,
    format_number,
    incidents_chart,
    month_labels,
    nice_axis,
    polylines,
    response_chart,
    stack,
    table_rows,
    time_unit,
    truncate,
)

JAN, FEB, MAR, APR = (datetime.date(2026, n, 1) for n in range(1, 5))


def months_from(first: datetime.date, count: int) -> list[datetime.date]:
    index = first.year * 12 + first.month - 1
    return [datetime.date((index + n) // 12, (index + n) % 12 + 1, 1) for n in range(count)]


def severities(sev1=0, sev2=0, sev3=0, sev4=0):
    return [
        ("sev1", "SEV-1", sev1),
        ("sev2", "SEV-2", sev2),
        ("sev3", "SEV-3", sev3),
        ("sev4", "SEV-4", sev4),
    ]


def point(month, minutes, count=1, mean_label=None):
    if mean_label is None:
        mean_label = "—" if minutes is None else f"{format_number(minutes)} min"
    return TimePoint(month, minutes, count, mean_label)


class TestNiceAxis:
    @pytest.mark.parametrize(
        ("top", "expected"),
        [
            (0, (4, [0, 1, 2, 3, 4])),  # nothing: still a 0–4 axis
            (1, (4, [0, 1, 2, 3, 4])),  # one incident is a quarter of the height, not all of it
            (3, (4, [0, 1, 2, 3, 4])),
            (4, (4, [0, 1, 2, 3, 4])),
            (5, (6, [0, 2, 4, 6])),
            (13, (15, [0, 5, 10, 15])),
            (20, (20, [0, 5, 10, 15, 20])),  # on a step: no extra tick
            (21, (30, [0, 10, 20, 30])),
            (123_456, (150_000, [0, 50_000, 100_000, 150_000])),
            (1_000_000, (1_000_000, [0, 500_000, 1_000_000])),
        ],
        ids=str,
    )
    def test_a_count_axis_steps_by_whole_numbers(self, top, expected):
        axis = nice_axis(top, integer=True)
        assert axis == expected
        assert all(isinstance(v, int) for v in axis.values)

    @pytest.mark.parametrize(
        ("top", "maximum", "values"),
        [
            (0, 1, [0, 0.25, 0.5, 0.75, 1]),  # nothing: 0–1
            (0.1, 0.1, [0, 0.025, 0.05, 0.075, 0.1]),
            (0.3, 0.3, [0, 0.1, 0.2, 0.3]),
            (0.9, 1, [0, 0.25, 0.5, 0.75, 1]),
            (5, 6, [0, 2, 4, 6]),
            (9, 10, [0, 2.5, 5, 7.5, 10]),
            (47, 60, [0, 20, 40, 60]),
            (90, 100, [0, 25, 50, 75, 100]),
            (120, 150, [0, 50, 100, 150]),
            (72.5, 80, [0, 20, 40, 60, 80]),
        ],
        ids=str,
    )
    def test_any_other_axis_steps_by_1_2_2_5_or_5(self, top, maximum, values):
        axis = nice_axis(top, integer=False)
        assert axis.maximum == pytest.approx(maximum)
        assert axis.values == pytest.approx(values)

    @pytest.mark.parametrize("integer", [True, False], ids=["counts", "times"])
    def test_the_maximum_covers_the_top_in_two_to_four_steps(self, integer):
        for top in [0.1, 0.7, 1, 2, 3.3, 7, 9.99, 10, 11, 33, 99, 101, 999, 4321, 10**7]:
            axis = nice_axis(top, integer=integer)
            assert axis.maximum >= top, top
            assert 3 <= len(axis.values) <= 5, top
            assert axis.values[0] == 0
            assert axis.values[-1] == axis.maximum

    @pytest.mark.parametrize(
        ("axis", "decimals"),
        [
            (Axis(4, [0, 1, 2, 3, 4]), 0),
            (Axis(150_000, [0, 50_000, 100_000, 150_000]), 0),
            (Axis(10, [0, 2.5, 5, 7.5, 10]), 1),
            (Axis(0.30000000000000004, [0, 0.1, 0.2, 0.30000000000000004]), 1),
            (Axis(1, [0, 0.25, 0.5, 0.75, 1]), 2),
            (nice_axis(0.1, integer=False), 3),
        ],
        ids=str,
    )
    def test_tick_labels_take_the_decimals_of_the_step(self, axis, decimals):
        assert axis.decimals == decimals


class TestFormatNumber:
    @pytest.mark.parametrize(
        ("value", "decimals", "text"),
        [
            (4, 1, "4"),
            (4.0, 1, "4"),
            (2.5, 1, "2.5"),
            (0.30000000000000004, 1, "0.3"),
            (1.96, 1, "2"),
            (100.0, 1, "100"),
            (100, 0, "100"),
            (150_000, 0, "150000"),
            (0.25, 2, "0.25"),
            (0.5, 2, "0.5"),
            (0.075, 3, "0.075"),
            (0.04, 1, "0"),
        ],
        ids=str,
    )
    def test_it_drops_trailing_zeros(self, value, decimals, text):
        assert format_number(value, decimals) == text


class TestScale:
    def test_an_upward_scale_puts_zero_on_the_baseline(self):
        scale = Scale(Axis(4, [0, 1, 2, 3, 4]), origin=220, length=198, upward=True)
        assert scale.position(0) == 220
        assert scale.position(1) == 170.5
        assert scale.position(4) == 22
        assert scale.extent(2) == 99
        assert [(t.position, t.label) for t in scale.ticks] == [
            (220.0, "0"),
            (170.5, "1"),
            (121.0, "2"),
            (71.5, "3"),
            (22.0, "4"),
        ]

    def test_a_rightward_scale_starts_at_its_origin(self):
        scale = Scale(Axis(4, [0, 1, 2, 3, 4]), origin=112, length=216)
        assert scale.position(1) == 166
        assert [t.position for t in scale.ticks] == [112, 166, 220, 274, 328]

    def test_tick_positions_are_rounded_to_a_tenth(self):
        scale = Scale(Axis(3, [0, 1, 2, 3]), origin=154, length=132, upward=True)
        assert [t.position for t in scale.ticks] == [154.0, 110.0, 66.0, 22.0]
        scale = Scale(Axis(3, [0, 1, 2, 3]), origin=0, length=100)
        assert [t.position for t in scale.ticks] == [0.0, 33.3, 66.7, 100.0]

    def test_tick_labels_of_a_quarter_step_keep_two_decimals(self):
        scale = Scale(nice_axis(0, integer=False), origin=154, length=132, upward=True)
        assert [t.label for t in scale.ticks] == ["0", "0.25", "0.5", "0.75", "1"]


class TestLayout:
    def test_a_frame_knows_its_plot_area(self):
        frame = Frame(640, 270, left=44, top=22, right=8, bottom=50)
        assert (frame.plot_width, frame.plot_height) == (588, 198)
        assert (frame.plot_right, frame.baseline) == (632, 220)
        assert (frame.x_label_x, frame.x_label_y, frame.y_label_y) == (338.0, 266, 121.0)

    def test_bands_centre_what_they_hold(self):
        bands = Bands(44, 588, 4)
        assert bands.slot == 147
        assert [bands.centre(i) for i in range(4)] == [117.5, 264.5, 411.5, 558.5]
        assert bands.start(0, 34) == 100.5
        assert bands.start(3, 34) == 541.5

    def test_no_bands_is_one_slot_and_no_division_by_zero(self):
        assert Bands(44, 588, 0).slot == 588

    def test_a_stack_grows_up_from_the_baseline_first_value_at_the_bottom(self):
        scale = Scale(Axis(4, [0, 1, 2, 3, 4]), origin=220, length=200, upward=True)
        assert stack([1, 0, 2], scale) == [(170, 50), (170, 0), (70, 100)]
        assert stack([], scale) == []

    def test_a_gap_breaks_the_line_and_a_lone_point_is_no_line(self):
        points = [(1, 2), (3, 4), None, (5, 6), None, (7, 8), (9, 10), (11, 12)]
        assert polylines(points) == ["1,2 3,4", "7,8 9,10 11,12"]
        assert polylines([(5.0, 6.5)]) == []
        assert polylines([None, None]) == []
        assert polylines([]) == []

    def test_a_long_label_is_cut_to_17_characters(self):
        assert truncate("exactly17charsxxx") == "exactly17charsxxx"
        assert truncate("exactly18charsxxxx") == "exactly18charsxx…"
        assert len(truncate("a-very-long-service-name")) == 17

    def test_table_rows_turn_columns_into_rows(self):
        assert table_rows(["Jan", "Feb"], [[1, 2], ["a", "b"]]) == [
            ("Jan", (1, "a")),
            ("Feb", (2, "b")),
        ]
        assert table_rows(["Jan", "Feb"], []) == [("Jan", ()), ("Feb", ())]
        assert table_rows([], []) == []
        with pytest.raises(ValueError):
            table_rows(["Jan", "Feb"], [[1, 2], [3]])


class TestMonthLabels:
    def test_every_month_and_the_year_where_it_changes(self):
        months = months_from(datetime.date(2025, 11, 1), 13)
        labels = month_labels(months, Bands(44, 588, 13), most=13)
        assert [(label.month, label.year) for label in labels] == [
            ("Nov", "2025"),
            ("Dec", ""),
            ("Jan", "2026"),
            *[(f"{m:%b}", "") for m in months[3:]],
        ]
        assert labels[0].x == 66.6  # 44 + 588 / 13 / 2
        assert labels[-1].x == 609.4

    def test_more_months_than_fit_label_every_nth_and_the_year_moves_along(self):
        months = months_from(datetime.date(2025, 12, 1), 14)  # Dec 2025 – Jan 2027
        labels = month_labels(months, Bands(44, 588, 14), most=13)
        assert [(label.month, label.year) for label in labels] == [
            ("Dec", "2025"),
            ("Feb", "2026"),  # January is not labelled: its year goes under February
            ("Apr", ""),
            ("Jun", ""),
            ("Aug", ""),
            ("Oct", ""),
            ("Dec", ""),
        ]

    def test_ten_years_get_twelve_labels(self):
        months = months_from(datetime.date(2016, 12, 1), 120)
        labels = month_labels(months, Bands(44, 588, 120), most=13)
        assert len(labels) == 12  # every 10th month
        assert [label.year for label in labels][:3] == ["2016", "2017", "2018"]

    def test_no_months_no_labels(self):
        assert month_labels([], Bands(44, 588, 0), most=13) == []


class TestIncidentsChart:
    @pytest.fixture
    def chart(self):
        return incidents_chart(
            [(JAN, severities(sev1=1, sev2=2)), (FEB, severities()), (MAR, severities(sev3=8))]
        )

    def test_the_frame(self, chart):
        assert (chart.width, chart.height) == (640, 270)
        assert (chart.left, chart.right, chart.top, chart.baseline) == (44, 632, 22, 220)
        assert (chart.x_label_x, chart.x_label_y, chart.y_label_y) == (338.0, 266, 121.0)

    def test_the_axis_goes_to_the_highest_total_on_a_round_step(self, chart):
        assert [(t.position, t.label) for t in chart.ticks] == [
            (220.0, "0"),
            (170.5, "2"),
            (121.0, "4"),
            (71.5, "6"),
            (22.0, "8"),
        ]

    def test_bars_stack_first_severity_at_the_bottom_and_skip_zeros(self, chart):
        assert [(b.month, b.severity) for b in chart.bars] == [
            ("2026-01", "sev1"),
            ("2026-01", "sev2"),
            ("2026-03", "sev3"),
        ]
        sev1, sev2, sev3 = chart.bars
        # 1 of 8 is 24.75 px, 2 of 8 is 49.5 px; an exact half rounds to the even tenth.
        assert (sev1.x, sev1.y, sev1.width, sev1.height) == (125.0, 195.2, 34, 24.8)
        assert (sev2.x, sev2.y, sev2.width, sev2.height) == (125.0, 145.8, 34, 49.5)
        # y and height are rounded apart: a block meets the one below to within 0.1 px.
        assert sev2.y + sev2.height == pytest.approx(sev1.y, abs=0.11)
        assert (sev3.x, sev3.y, sev3.height) == (517.0, 22.0, 198.0)  # the full height
        assert sev1.y + sev1.height == pytest.approx(chart.baseline, abs=0.11)

    def test_each_bar_says_what_it_is(self, chart):
        sev1, sev2, _ = chart.bars
        assert (sev1.css, sev1.title) == ("sev-sev1", "Jan 2026 · SEV-1: 1")
        assert (sev2.css, sev2.title) == ("sev-sev2", "Jan 2026 · SEV-2: 2")

    def test_totals_sit_5_px_above_their_bars(self, chart):
        assert chart.totals == [Label(142.0, 140.8, "3"), Label(534.0, 17.0, "8")]

    def test_a_month_label_under_every_bar(self, chart):
        assert [(label.x, label.month, label.year) for label in chart.labels] == [
            (142.0, "Jan", "2026"),
            (338.0, "Feb", ""),
            (534.0, "Mar", ""),
        ]

    def test_the_summary_counts_by_severity(self, chart):
        assert chart.summary == (
            "Stacked bar chart: 11 incidents from January 2026 to March 2026 "
            "(SEV-1: 1, SEV-2: 2, SEV-3: 8, SEV-4: 0). The table below the chart gives every month."
        )

    def test_one_incident_is_a_quarter_of_the_height(self):
        chart = incidents_chart([(JAN, severities(sev2=1))])
        (bar,) = chart.bars
        assert (bar.y, bar.height) == (170.5, 49.5)
        assert bar.x == 321.0  # one slot of 588 px: the 34 px bar in its middle, 44 + 277
        assert "1 incident from January 2026 to January 2026" in chart.summary

    def test_months_without_incidents_draw_no_bar_and_no_total(self):
        chart = incidents_chart([(JAN, severities()), (FEB, severities())])
        assert (chart.bars, chart.totals) == ([], [])
        assert [t.label for t in chart.ticks] == ["0", "1", "2", "3", "4"]
        assert chart.summary.startswith("Stacked bar chart: 0 incidents from January 2026")

    def test_large_numbers(self):
        chart = incidents_chart([(JAN, severities(sev1=123_456))])
        assert [t.label for t in chart.ticks] == ["0", "50000", "100000", "150000"]
        assert chart.bars[0].height == 163.0  # 123456 / 150000 × 198 = 162.96
        assert chart.totals[0].text == "123456"

    def test_many_months_get_thin_bars(self):
        months = months_from(datetime.date(2016, 12, 1), 120)
        chart = incidents_chart([(m, severities(sev4=1)) for m in months])
        assert len(chart.bars) == 120
        assert chart.bars[0].width == 3.1  # 588 / 120 × 0.64
        assert len(chart.labels) == 12

    def test_nothing_to_chart(self):
        chart = incidents_chart([])
        assert (chart.bars, chart.totals, chart.labels) == ([], [], [])
        assert [t.label for t in chart.ticks] == ["0", "1", "2", "3", "4"]
        assert chart.summary == "Stacked bar chart: no month to show."


class TestTimeUnit:
    @pytest.mark.parametrize(
        ("minutes", "label"),
        [(0, "minutes"), (120, "minutes"), (120.1, "hours"), (4320, "hours"), (4321, "days")],
        ids=str,
    )
    def test_the_largest_value_picks_the_unit(self, minutes, label):
        assert time_unit(minutes).label == label


class TestResponseChart:
    @pytest.fixture
    def chart(self):
        points = [point(JAN, 4.0), point(FEB, 6.0, 2), point(MAR, None, 0), point(APR, 2.0)]
        return response_chart("Time to detect", points, mean_label="4.5 min", count=4)

    def test_the_frame(self, chart):
        assert (chart.width, chart.height) == (320, 200)
        assert (chart.left, chart.right, chart.top, chart.baseline) == (40, 310, 22, 154)

    def test_the_axis_is_in_minutes_on_a_round_step(self, chart):
        assert chart.unit_label == "minutes"
        assert [(t.position, t.label) for t in chart.ticks] == [
            (154.0, "0"),
            (110.0, "2"),
            (66.0, "4"),
            (22.0, "6"),
        ]

    def test_a_dot_in_the_middle_of_each_month_with_data(self, chart):
        # Slots of 270 / 4 = 67.5 px: centres 73.75, 141.25, 276.25 (halves round to even).
        assert [(d.x, d.y) for d in chart.dots] == [(73.8, 66.0), (141.2, 22.0), (276.2, 110.0)]
        assert [d.text for d in chart.dots] == [
            "Jan 2026: 4 min (1 incident)",
            "Feb 2026: 6 min (2 incidents)",
            "Apr 2026: 2 min (1 incident)",
        ]

    def test_the_line_breaks_at_the_month_without_data(self, chart):
        assert chart.segments == ["73.8,66.0 141.2,22.0"]  # April stands alone as a dot

    def test_each_value_is_written_8_px_above_its_dot(self, chart):
        assert chart.values == [
            Label(73.8, 58.0, "4 min"),
            Label(141.2, 14.0, "6 min"),
            Label(276.2, 102.0, "2 min"),
        ]

    def test_the_summary_reads_every_month(self, chart):
        assert chart.summary == (
            "Line chart: mean time to detect per month, 4.5 min over 4 incidents; "
            "Jan 2026: 4 min (1 incident); Feb 2026: 6 min (2 incidents); "
            "Apr 2026: 2 min (1 incident)."
        )

    def test_long_times_are_drawn_in_hours(self):
        chart = response_chart("R", [point(JAN, 300.0, 1, "5 h")], mean_label="5 h", count=1)
        assert chart.unit_label == "hours"
        assert [t.label for t in chart.ticks] == ["0", "2", "4", "6"]
        assert chart.values == [Label(175.0, 36.0, "5 h")]  # 154 − 5/6 × 132 = 44, less 8

    def test_very_long_times_are_drawn_in_days(self):
        chart = response_chart("R", [point(JAN, 3 * 1440 + 720)], mean_label="", count=1)
        assert chart.unit_label == "days"
        assert [v.text for v in chart.values] == ["3.5 d"]

    def test_equal_values_make_a_level_line(self):
        chart = response_chart(
            "R", [point(m, 5.0) for m in (JAN, FEB, MAR)], mean_label="", count=3
        )
        assert {d.y for d in chart.dots} == {44.0}  # 5 of 6 on the axis
        assert chart.segments == ["85.0,44.0 175.0,44.0 265.0,44.0"]

    def test_values_stay_clear_of_the_ticks_on_the_left(self):
        points = [point(m, 1.0) for m in months_from(JAN, 13)]
        chart = response_chart("R", points[:1] + [point(FEB, None)] * 12, mean_label="", count=1)
        assert chart.dots[0].x == 50.4  # 40 + 270 / 13 / 2
        assert chart.values[0].x == 60

    def test_more_than_seven_values_are_not_written(self):
        points = [point(m, 1.0) for m in months_from(JAN, 8)]
        chart = response_chart("R", points, mean_label="1 min", count=8)
        assert len(chart.dots) == 8
        assert chart.values == []
        assert [label.month for label in chart.labels] == ["Jan", "Mar", "May", "Jul"]

    def test_no_data_draws_an_empty_axis_from_0_to_1(self):
        chart = response_chart("Time to acknowledge", [point(JAN, None)], mean_label="—", count=0)
        assert (chart.segments, chart.dots, chart.values) == ([], [], [])
        assert [(t.position, t.label) for t in chart.ticks] == [
            (154.0, "0"),
            (121.0, "0.25"),
            (88.0, "0.5"),
            (55.0, "0.75"),
            (22.0, "1"),
        ]
        assert chart.summary == (
            "Line chart: mean time to acknowledge per month: "
            "no incident in the range has both milestones."
        )

    def test_less_than_a_minute_keeps_its_decimals_on_the_axis(self):
        chart = response_chart("R", [point(JAN, 0.1)], mean_label="0.1 min", count=1)
        assert [t.label for t in chart.ticks] == ["0", "0.025", "0.05", "0.075", "0.1"]
        assert chart.dots[0].y == 22.0

    def test_no_months_at_all(self):
        chart = response_chart("R", [], mean_label="—", count=0)
        assert (chart.segments, chart.dots, chart.labels) == ([], [], [])


class TestBarRowsChart:
    @pytest.fixture
    def chart(self):
        return bar_rows_chart([("postgres", 2), ("api", 1)], unit="incident")

    def test_the_frame_grows_a_row_at_a_time(self, chart):
        assert (chart.width, chart.height) == (480, 106)  # 6 + 2 × 30 + 40
        assert (chart.left, chart.top, chart.baseline) == (112, 6, 66)
        assert (chart.x_label, chart.x_label_x, chart.x_label_y) == ("Incidents", 280.0, 102)
        assert chart.tick_label_y == 82

    def test_rows_in_the_order_given_bars_as_long_as_their_counts(self, chart):
        assert [
            (b.label, b.count, b.label_y, b.rect.y, b.rect.width, b.count_x) for b in chart.bars
        ] == [
            ("postgres", 2, 25.0, 12.0, 168.0, 285.0),  # 2 of 4 across 336 px
            ("api", 1, 55.0, 42.0, 84.0, 201.0),
        ]
        assert {(b.rect.x, b.rect.height) for b in chart.bars} == {(112, 18)}

    def test_the_ticks_run_along_the_bottom(self, chart):
        assert [(t.position, t.label) for t in chart.ticks] == [
            (112.0, "0"),
            (196.0, "1"),
            (280.0, "2"),
            (364.0, "3"),
            (448.0, "4"),
        ]

    def test_titles_and_summary_count_in_the_unit(self, chart):
        assert [b.rect.title for b in chart.bars] == ["postgres: 2 incidents", "api: 1 incident"]
        assert chart.summary == "Bar chart: postgres: 2 incidents; api: 1 incident."

    def test_equal_counts_are_equal_bars(self):
        chart = bar_rows_chart([("a", 4), ("b", 4)], unit="postmortem", width=360)
        assert [b.rect.width for b in chart.bars] == [216.0, 216.0]  # the whole plot
        assert chart.x_label == "Postmortems"

    def test_a_zero_is_a_bar_of_no_length(self):
        chart = bar_rows_chart([("Within a week", 0)], unit="postmortem", width=360)
        assert (chart.bars[0].rect.width, chart.bars[0].count_x) == (0.0, 117.0)
        assert chart.summary == "Bar chart: Within a week: 0 postmortems."

    def test_a_long_label_is_cut_but_the_title_keeps_it(self):
        (bar,) = bar_rows_chart([("a-very-long-service-name", 3)], unit="incident").bars
        assert bar.label == "a-very-long-serv…"
        assert bar.rect.title == "a-very-long-service-name: 3 incidents"

    def test_large_numbers(self):
        (bar,) = bar_rows_chart([("big", 123_456)], unit="incident").bars
        assert (bar.rect.width, bar.count_x) == (276.5, 393.5)  # 123456 / 150000 × 336

    def test_nothing_to_show(self):
        chart = bar_rows_chart([], unit="incident")
        assert chart.bars == []
        assert chart.height == 76  # room for one row
        assert chart.summary == "Bar chart: nothing to show."
        assert [t.label for t in chart.ticks] == ["0", "1", "2", "3", "4"]
