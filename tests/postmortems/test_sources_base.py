"""The moments every timeline source reads: epoch values of each size, ISO 8601 with offsets."""

import datetime

import pytest

from postmortems.exchange.sources.base import (
    MAX_TEXT,
    SourceRefused,
    clip,
    from_epoch,
    from_iso,
    moment,
)

UTC = datetime.UTC
SECOND = datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        1700000000,
        1700000000.0,
        "1700000000",
        "1700000000.000000",
        1700000000000,
        1700000000000000,
        1700000000000000000,
    ],
)
def test_epoch_seconds_milliseconds_microseconds_and_nanoseconds(value):
    assert from_epoch(value) == SECOND


def test_a_slack_ts_keeps_its_fraction():
    assert from_epoch("1700000000.000200") == SECOND + datetime.timedelta(microseconds=200)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-11-14T22:13:20Z", SECOND),
        ("2023-11-14T23:13:20+01:00", SECOND),
        ("2023-11-14T17:13:20-0500", SECOND),
        ("2023-11-14 22:13:20 UTC", SECOND),
        ("2023-11-14T22:13:20", SECOND),
        ("2023-11-14T22:13:20.5Z", SECOND + datetime.timedelta(microseconds=500_000)),
        # Nanoseconds (Opsgenie, Go's RFC 3339): cut to microseconds.
        ("2023-11-14T22:13:20.123456789Z", SECOND + datetime.timedelta(microseconds=123456)),
    ],
)
def test_iso_moments_with_offsets_are_read_in_utc(text, expected):
    assert from_iso(text) == expected
    assert moment(text) == expected


@pytest.mark.parametrize(
    "value", ["yesterday", "", "2023-13-45T00:00:00Z", True, None, float("nan"), 10**30, "1e5"]
)
def test_what_is_not_a_time_is_refused_in_words(value):
    with pytest.raises(SourceRefused, match="Not a time"):
        moment(value)


def test_a_long_text_is_clipped():
    assert len(clip("word " * 1000)) == MAX_TEXT
    assert clip("  short  ") == "short"
