"""A text's time budget is the formatter's own CPU time: a busy machine does not make an honest
text "too slow", and a pathological one is still stopped."""

import os
import signal
import threading
import time

import pytest

from postmortems import markdown, markdown_engine

pytestmark = pytest.mark.skipif(
    markdown_engine.cpu_seconds(os.getpid()) is None, reason="needs Linux's /proc"
)


def pause(worker, seconds):
    """The worker waits for a core this long (stopped), as on a loaded machine."""
    os.kill(worker.process.pid, signal.SIGSTOP)
    threading.Timer(seconds, os.kill, (worker.process.pid, signal.SIGCONT)).start()


def test_a_worker_kept_waiting_for_a_core_is_not_late():
    worker = markdown_engine.Worker()
    try:
        pause(worker, 0.6)
        started = time.monotonic()
        status, html, seconds = worker.convert("Raised the pool to **500**.", timeout=0.25)
        waited = time.monotonic() - started
    finally:
        worker.stop()
    assert status == markdown_engine.OK
    assert html == "<p>Raised the pool to <strong>500</strong>.</p>"
    assert waited >= 0.5  # it did wait, past the budget by the clock
    assert seconds < 0.25  # and was charged only what the conversion itself used


def test_a_text_that_really_is_slow_is_still_stopped():
    worker = markdown_engine.Worker()
    started = time.monotonic()
    try:
        with pytest.raises(markdown_engine.Late):
            worker.convert("[" * 20_000, timeout=0.25)
    finally:
        worker.stop()
    assert time.monotonic() - started < 0.25 * markdown_engine.STARVED_FACTOR + 1.5


def test_waiting_is_capped_even_when_the_worker_never_runs():
    worker = markdown_engine.Worker()
    try:
        os.kill(worker.process.pid, signal.SIGSTOP)
        started = time.monotonic()
        with pytest.raises(markdown_engine.Late):
            worker.convert("text", timeout=0.05)
        assert time.monotonic() - started < 0.05 * markdown_engine.STARVED_FACTOR + 1.5
    finally:
        worker.stop()


def test_a_memoised_text_is_timed_by_its_cpu_time_not_the_wait(monkeypatch):
    text = f"A line formatted while the machine was busy {time.monotonic()}"
    original = markdown_engine.Pool.convert

    def slow_to_answer(self, text, timeout):
        time.sleep(0.4)  # the web process waited; the conversion itself was quick
        return original(self, text, timeout)

    monkeypatch.setattr(markdown_engine.Pool, "convert", slow_to_answer)
    assert "machine was busy" in markdown.render_markdown(text)
    monkeypatch.undo()
    # Saving it now: its memoised time is the formatter's, well within the save budget.
    assert markdown.renderable_error(text) == ""


def test_a_page_waits_for_the_formatter_at_most_its_budget_times_the_starved_factor(monkeypatch):
    """On a machine too busy to give the formatter a core, each text is charged little CPU
    time; the page as a whole still stops waiting, as one text does (STARVED_FACTOR times its
    budget, plus a second), and shows the texts left as typed."""
    monkeypatch.setattr(markdown_engine, "STARVED_FACTOR", 2)
    original = markdown_engine.Pool.convert

    def waits_for_a_core(self, text, timeout):
        time.sleep(0.3)  # queued behind other work; the conversion itself is quick
        return original(self, text, timeout)

    monkeypatch.setattr(markdown_engine.Pool, "convert", waits_for_a_core)
    stamp = time.monotonic()
    texts = [f"Event {n} of a long timeline {stamp}" for n in range(20)]
    started = time.monotonic()
    with markdown.page_budget(1.0):
        shown = [markdown.render_markdown(text) for text in texts]
    waited = time.monotonic() - started
    assert waited < 1.0 * markdown_engine.STARVED_FACTOR + 1  # not 20 × 0.3 s
    assert "<p>Event 0 of a long timeline" in shown[0]  # the first ones are formatted
    assert "this page ran out of time to format it" in shown[-1]  # the rest as typed
