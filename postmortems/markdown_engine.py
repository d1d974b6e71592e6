"""Markdown to sanitized HTML, converted in a separate process so no text can hang a page.

Python-Markdown is quadratic on some inputs (``"[" * 20000`` takes half a minute) and raises
RecursionError on deep nesting (``"* " * 496 + "x"``); its maintainers consider both out of
scope. A thread cannot be stopped in the middle of a conversion, a process can: every
conversion runs in a small worker process (``python -m postmortems.markdown_engine``) that
holds the converter and the sanitizer. The web process sends it a text, waits at most its time
budget, and kills it when it is late, so a slow text costs its budget and nothing more, and a
failure can only ever break the worker's own state, which is then rebuilt or thrown away.

This module knows nothing of Django; ``postmortems.markdown`` is the API the app uses.
"""

import contextlib
import os
import re
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import bleach
import markdown as md
from bleach.css_sanitizer import CSSSanitizer
from bleach.html5lib_shim import Filter
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "blockquote", "pre", "code", "kbd", "samp",
        "h1", "h2", "h3", "h4", "h5", "h6",
        "ul", "ol", "li", "dl", "dt", "dd",
        "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
        "strong", "em", "b", "i", "s", "del", "ins", "sub", "sup", "mark", "abbr",
        "a",
        "img",
    }
)  # fmt: skip
# A fenced block's language (```python gives class="language-python") is the only class kept:
# any other class would let a text dress itself in the app's own CSS (a full-page overlay).
CODE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")


def _code_attribute(tag, name, value):
    return name == "class" and CODE_CLASS.fullmatch(value) is not None


# An image only from this app's attachment view (postmortems.urls, "attachment"), and only an
# attached image (postmortems.uploads names them .png, .jpg or .webp): a path, never another
# site (a tracking pixel) nor a data: URL. The view decides who may see the file.
ATTACHMENT_SRC = re.compile(
    r"/postmortems/[A-Za-z0-9][A-Za-z0-9-]{0,39}/attachments/[1-9][0-9]{0,17}/"
    r"[A-Za-z0-9][A-Za-z0-9._-]{0,115}\.(?:png|jpg|webp)"
)


def _image_attribute(tag, name, value):
    if name == "src":
        return ATTACHMENT_SRC.fullmatch(value) is not None
    return name in ("alt", "title")


class AttachmentImages(Filter):
    """After the sanitizer: an image left without an attachment's address becomes its alt text
    (as typed, escaped); one with it gets an alt text (its file name when none was typed)."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "img":
                attrs = token["data"]
                src = attrs.get((None, "src"), "")
                alt = attrs.get((None, "alt"), "").strip()
                if not ATTACHMENT_SRC.fullmatch(src):
                    yield {"type": "Characters", "data": f"[image: {alt}]" if alt else "[image]"}
                    continue
                attrs[(None, "alt")] = alt or src.rsplit("/", 1)[-1]
                attrs[(None, "loading")] = "lazy"
                token["type"] = "EmptyTag"
            yield token


ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "abbr": ["title"],
    "th": ["align", "colspan", "rowspan"],
    "td": ["align", "colspan", "rowspan"],
    "ol": ["start"],
    "code": _code_attribute,
    "img": _image_attribute,
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
EXTENSIONS = ["extra", "sane_lists", "nl2br"]
LINK_REL = "noopener noreferrer nofollow"

# Answers of the worker.
OK, TOO_DEEP, FAILED, TOO_LARGE = 0, 1, 2, 3
# Elements nested in one another, at most: a list in a list is two (ul, li). Honest text nests
# a handful; "* " * 300 is a list 300 deep that pushes the page off the screen.
MAX_DEPTH = 40
# HTML per text, at most: honest Markdown grows two to five times (links, tables); a 4 KB
# abbreviation used a thousand times became 2 MB.
MAX_HTML_CHARS = 500_000
MAX_GROWTH = 20
# The worker's memory: far above any honest text, low enough that a runaway conversion ends
# with a MemoryError in the worker instead of the machine swapping.
WORKER_MEMORY_BYTES = 1024 * 1024 * 1024
STARTUP_SECONDS = 20
# A budget counts the worker's own CPU time: on a machine busy with other work the worker may
# wait for a core, which says nothing about the text (a one-line text was refused as "too slow"
# on a loaded machine). Waiting is still capped at this many times the budget, plus a second.
STARVED_FACTOR = 8
MAX_IDLE_WORKERS = 4
PROJECT_ROOT = Path(__file__).resolve().parent.parent


# --- the conversion (runs in the worker) -------------------------------------------------------


def _force_rel(attrs, new=False):
    """Every link, typed or linkified, opens nothing with our window and passes no referrer."""
    if (None, "href") in attrs:
        attrs[(None, "rel")] = LINK_REL
    return attrs


def _new_cleaner() -> bleach.Cleaner:
    # Disallowed markup is escaped (shown as text), never executed; bare URLs become links.
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=False,
        strip_comments=True,
        css_sanitizer=CSSSanitizer(allowed_css_properties=[]),
        filters=[
            partial(LinkifyFilter, callbacks=[_force_rel], skip_tags={"pre", "code"}),
            AttachmentImages,
        ],
    )


class TooDeep(Exception):
    """The formatted text nests more than MAX_DEPTH elements deep."""


class TooLarge(Exception):
    """The formatted text is far larger than what was typed (abbreviations repeat titles)."""


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
_VOID = frozenset({"br", "hr", "img"})


def _depth(html: str) -> int:
    """How deep the sanitized HTML nests (it is balanced, and every ">" in a value escaped)."""
    depth = deepest = 0
    for match in _TAG.finditer(html):
        if match[2].lower() in _VOID:
            continue
        if match[1]:
            depth -= 1
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def check_shape(text: str, html: str) -> None:
    """Refuse HTML that would wreck or swell the page, however the text made it: Markdown or
    raw tags ("<ul><li>" * 240 nests as deep as "* " * 240)."""
    if len(html) > MAX_HTML_CHARS or len(html) > MAX_GROWTH * len(text) + 2000:
        raise TooLarge
    if _depth(html) > MAX_DEPTH:
        raise TooDeep


# Lists as people write them (and as the postmortem template does), in Python-Markdown's terms.
_FENCE = re.compile(r" {0,3}(```|~~~)")
_ITEM = re.compile(r"( *)([-*+]|(\d{1,9})[.)])(?: |$)")
# Re-indenting a nested item costs four spaces a level: past this depth items stay at it, so
# that a text nested thousands deep cannot grow quadratically. It is deep enough that such a
# text is still refused as too deep (a level is two elements: past MAX_DEPTH).
MAX_LIST_REINDENT = 24


def list_friendly(text: str) -> str:
    """Two things Python-Markdown reads differently from most writers, made to read as meant:

    - a list straight after a line of text ("Quality: Good" then "- Alert fired") starts a
      list: a blank line is put between them (an ordered list only when it starts at 1, as in
      CommonMark, so that "2024. was a year" stays text);
    - items nested by two, three or four spaces nest: re-indented by four spaces a level.

    One pass over the lines; fenced code is left alone, and so is an indented code block (a
    line indented four or more with no list open)."""
    out, fence, stack, blank = [], None, [], True
    for line in text.split("\n"):
        if fence:
            out.append(line)
            if line.lstrip(" ").startswith(fence):
                fence = None
            continue
        opening = _FENCE.match(line)
        if opening:
            fence, stack, blank = opening[1], [], False
            out.append(line)
            continue
        if not line.strip():
            out.append(line)
            blank = True
            continue
        indent = len(line) - len(line.lstrip(" "))
        item = _ITEM.match(line)
        if item and not stack and indent >= 4:
            item = None  # an indented code block
        if not item:
            if blank and indent == 0:
                stack = []  # a paragraph after a blank line ends the list
            out.append(line)
            blank = False
            continue
        in_list = bool(stack)
        while stack and indent < stack[-1] + 2:
            stack.pop()
        if not in_list and not blank and out and (item[3] is None or item[3] == "1"):
            out.append("")  # a list right after a line of text
        depth = min(len(stack), MAX_LIST_REINDENT)
        stack.append(indent)
        out.append(" " * (4 * depth) + line.lstrip(" "))
        blank = False
    return "\n".join(out)


class Converter:
    """Python-Markdown and bleach, built once and reused (building them loads every extension),
    and built afresh after any error: a failed conversion can leave either half-way through."""

    def __init__(self):
        self._markdown = None
        self._cleaner = None

    def convert(self, text: str) -> str:
        if self._markdown is None:
            self._markdown = md.Markdown(extensions=EXTENSIONS, output_format="html")
            self._cleaner = _new_cleaner()
        try:
            html = self._cleaner.clean(self._markdown.reset().convert(list_friendly(text)))
        except BaseException:
            self._markdown = self._cleaner = None
            raise
        check_shape(text, html)
        return html


def _read_exactly(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError
    return data


def serve(stdin=None, stdout=None) -> None:
    """The worker's loop: a length-prefixed UTF-8 text in, a status and the HTML out."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    # Ctrl-C in the terminal is for the web server; this worker ends when its pipe closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    converter = Converter()
    converter.convert("warm *up*")  # load the extensions before saying ready
    stdout.write(b"R")
    stdout.flush()
    while True:
        try:
            (size,) = struct.unpack(">I", _read_exactly(stdin, 4))
            text = _read_exactly(stdin, size).decode("utf-8", "replace")
        except EOFError:
            return  # the web process went away
        try:
            status, payload = OK, converter.convert(text)
        except (RecursionError, TooDeep):
            status, payload = TOO_DEEP, "nested too deeply"
        except TooLarge:
            status, payload = TOO_LARGE, "too large"
        except Exception as exc:  # noqa: BLE001 — any failure is reported, the loop goes on
            status, payload = FAILED, type(exc).__name__
        body = payload.encode("utf-8")
        stdout.write(struct.pack(">BI", status, len(body)) + body)
        stdout.flush()


# --- the client (runs in the web process) ------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """The CPU time a process has used (Linux's /proc), or None where that cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class Late(Exception):
    """The worker did not answer within the time allowed (it has been stopped)."""


class Broken(Exception):
    """The worker could not be started or died."""


class Worker:
    """One worker process and the pipes to it; used by one thread at a time."""

    def __init__(self):
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "postmortems.markdown_engine"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=PROJECT_ROOT,
                close_fds=True,
            )
        except (OSError, ValueError) as exc:  # no processes or descriptors left
            raise Broken(str(exc)) from exc
        self._out = self.process.stdout.fileno()
        # (budget, CPU time at the start, hard cap) of the conversion under way; none yet.
        self._budget = (0.0, None, 0.0)
        self._poll = select.poll()
        self._poll.register(self._out, select.POLLIN)
        try:
            ready = self._read(1, time.monotonic() + STARTUP_SECONDS) == b"R"
        except (Late, Broken):
            ready = False
        if not ready:
            self.stop()
            raise Broken("the Markdown worker did not start")

    def convert(self, text: str, timeout: float) -> tuple[int, str, float]:
        """(status, HTML or reason, seconds): the seconds are the worker's CPU time where it
        can be read (else the time waited)."""
        start = time.monotonic()
        deadline = start + timeout
        self._budget = (
            timeout,
            cpu_seconds(self.process.pid),
            start + timeout * STARVED_FACTOR + 1,
        )
        data = text.encode("utf-8", "replace")
        try:
            self.process.stdin.write(struct.pack(">I", len(data)) + data)
            self.process.stdin.flush()
        except OSError as exc:
            raise Broken(str(exc)) from exc
        try:
            status, size = struct.unpack(">BI", self._read(5, deadline))
            payload = self._read(size, deadline).decode("utf-8")
        except (OSError, ValueError) as exc:
            raise Broken(str(exc)) from exc
        cpu_start, cpu_end = self._budget[1], cpu_seconds(self.process.pid)
        if cpu_start is None or cpu_end is None:
            return status, payload, time.monotonic() - start
        return status, payload, cpu_end - cpu_start

    def _read(self, size: int, deadline: float) -> bytes:
        chunks, remaining = [], size
        while remaining:
            wait = deadline - time.monotonic()
            # poll, not select: select cannot watch a descriptor numbered 1024 or above.
            if wait <= 0 or not self._poll.poll(wait * 1000):
                deadline = self._starved_until()
                if deadline is None:
                    raise Late
                continue
            chunk = os.read(self._out, remaining)
            if not chunk:
                raise Broken("the Markdown worker stopped")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _starved_until(self) -> float | None:
        """Past the deadline by the clock: a new deadline if the worker has used less CPU time
        than its budget (it was waiting for a core), within the cap; None when it is late."""
        budget, cpu_start, cap = self._budget
        now = time.monotonic()
        used = cpu_seconds(self.process.pid) if cpu_start is not None else None
        if used is None or now >= cap or used - cpu_start >= budget:
            return None
        return min(cap, now + max(budget - (used - cpu_start), 0.02))

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


class Pool:
    """Idle workers of this process, handed to one thread at a time."""

    def __init__(self):
        self.pid = os.getpid()
        self.idle: list[Worker] = []
        self.lock = threading.Lock()

    def convert(self, text: str, timeout: float) -> tuple[int, str, float]:
        """(status, HTML or reason, seconds it took the worker); raises Late or Broken, having
        stopped that worker."""
        with self.lock:
            worker = self.idle.pop() if self.idle else None
        if worker is None:
            worker = Worker()
        try:
            answer = worker.convert(text, timeout)
        except (Late, Broken):
            worker.stop()
            raise
        with self.lock:
            if len(self.idle) < MAX_IDLE_WORKERS:
                self.idle.append(worker)
                worker = None
        if worker is not None:
            worker.stop()
        return answer

    def close(self) -> None:
        with self.lock:
            workers, self.idle = self.idle, []
        for worker in workers:
            worker.stop()


_pool: Pool | None = None
_pool_lock = threading.Lock()


def pool() -> Pool:
    """This process's pool (a forked child, e.g. a gunicorn worker, starts its own)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            _pool = Pool()
        return _pool


def _close_pool():
    if _pool is not None and _pool.pid == os.getpid():
        _pool.close()


if __name__ == "__main__":
    serve()
else:
    import atexit

    atexit.register(_close_pool)
