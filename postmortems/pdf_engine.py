"""HTML to PDF with WeasyPrint, in a separate process with a time limit, fetching nothing.

WeasyPrint lays out a long document in seconds, and nothing bounds how long a pathological
one takes (a table of thousands of rows, an image of 25 million pixels): a thread cannot be
stopped half-way, a process can. Every PDF is made by a short-lived worker process
(``python -m postmortems.pdf_engine``) that is given the HTML, the stylesheet and the bytes of
the images the HTML may show, and is killed when it is late or uses more than its CPU time or
memory. WeasyPrint and Pango are only ever loaded in that process: the web process stays as
small as it was, and a machine without Pango answers with what to install instead of failing.

What the worker may read is exactly what it was given. Its URL fetcher (``Fetcher``) serves an
address only when it is one of the images handed over, byte for byte, and refuses anything
else: no network, no ``file:``, no ``data:``, no other path of this site. Which images are
handed over (those of the document being printed, read from the storage after checking that
they are its own) is decided by the caller (``postmortems.exchange.pdf``).

This module knows nothing of Django; ``postmortems.exchange.pdf`` is what the app uses.
"""

import contextlib
import importlib
import json
import resource
import signal
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The Debian packages WeasyPrint needs (its Python parts come with pip): Pango with its
# FreeType backend (which bring HarfBuzz, fontconfig, GLib), HarfBuzz's subsetter (smaller
# files; optional) and a font. The Makefile, .ci/run and the Dockerfile install these.
DEBIAN_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
MISSING_LIBRARIES = f"PDF export needs Pango: apt-get install {DEBIAN_PACKAGES}"
MISSING_WEASYPRINT = "PDF export needs WeasyPrint: pip install -e . (it is in pyproject.toml)"

# Wall-clock time a PDF may take, start-up included: below gunicorn's 30 s worker timeout, with
# room for the page's own queries and Markdown. The worker's CPU time is capped at the same.
SECONDS = 20.0
# The worker's address space: far above an honest document (about 300 MB with its images),
# low enough that a runaway layout ends with a MemoryError instead of the machine swapping.
WORKER_MEMORY_BYTES = 2 * 1024 * 1024 * 1024

# How the worker ends (its exit status), beside 0 for a PDF on its standard output.
EXIT_UNAVAILABLE, EXIT_FAILED = 3, 4


class PdfError(Exception):
    """No PDF: the message says why, for the person who asked."""


class Unavailable(PdfError):
    """WeasyPrint or the system libraries it needs are not installed."""


class TooSlow(PdfError):
    """The worker did not finish within its time (it has been stopped)."""


class Failed(PdfError):
    """The worker failed (out of memory, a bug in the layout…)."""


@dataclass(frozen=True)
class Image:
    """An image the document may show, at the one address that gives it."""

    path: str  # e.g. /postmortems/INC-2026-0042/attachments/17/graph.png
    content_type: str
    data: bytes


# --- in the worker -----------------------------------------------------------------------------


class Refused(ValueError):
    """An address the fetcher does not serve (WeasyPrint leaves that resource out)."""


def served(url: str, base_url: str, images: dict[str, Image]) -> Image:
    """The image at ``url``, if it is exactly one of ``images`` under ``base_url``; else
    Refused. No normalising: ``..``, a query, a fragment, another host or scheme all miss."""
    if not url.startswith(base_url):
        raise Refused(f"not served: {url[:200]}")
    image = images.get("/" + url[len(base_url) :])
    if image is None:
        raise Refused(f"not served: {url[:200]}")
    return image


def make_fetcher(base_url: str, images: dict[str, Image]):
    """WeasyPrint's URL fetcher for these images and nothing else. ``asked`` lists every
    address WeasyPrint asked for, ``refused`` those it did not get (the tests read both)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class Fetcher(URLFetcher):
        def __init__(self):
            # No handler is ever used (fetch is replaced); none is allowed all the same.
            super().__init__(allowed_protocols=(), allow_redirects=False)
            self.asked: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            self.asked.append(url)
            try:
                image = served(url, base_url, images)
            except Refused:
                self.refused.append(url)
                raise
            return URLFetcherResponse(
                url, body=image.data, headers={"Content-Type": image.content_type}
            )

        def open(self, url, data=None, timeout=None):
            raise Refused("no other way in")

    return Fetcher()


def html_to_pdf(html: str, css: str, base_url: str, images: dict[str, Image], fetcher=None):
    """The PDF, in this process (the worker's work; the tests call it to watch the fetcher)."""
    import weasyprint

    fetcher = fetcher or make_fetcher(base_url, images)
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    stylesheet = weasyprint.CSS(string=css, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet])


def load_weasyprint() -> None:
    """Import WeasyPrint (it loads Pango); Unavailable with what to install when it cannot."""
    try:
        importlib.import_module("weasyprint")
    except ImportError:
        raise Unavailable(MISSING_WEASYPRINT) from None
    except OSError:  # "cannot load library 'libpango-1.0-0'"
        raise Unavailable(MISSING_LIBRARIES) from None


def _read_exactly(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError
    return data


def encode_job(html: str, css: str, base_url: str, images: list[Image]) -> bytes:
    """A job for the worker: a JSON header (its length first), then each image's bytes."""
    header = json.dumps(
        {
            "html": html,
            "css": css,
            "base_url": base_url,
            "images": [[i.path, i.content_type, len(i.data)] for i in images],
        }
    ).encode()
    return b"".join([struct.pack(">I", len(header)), header, *(i.data for i in images)])


def decode_job(stream) -> tuple[str, str, str, dict[str, Image]]:
    (size,) = struct.unpack(">I", _read_exactly(stream, 4))
    header = json.loads(_read_exactly(stream, size))
    images = {
        path: Image(path, content_type, _read_exactly(stream, length))
        for path, content_type, length in header["images"]
    }
    return header["html"], header["css"], header["base_url"], images


def work(stdin=None, stdout=None, stderr=None, cpu_seconds: float = SECONDS) -> int:
    """The worker: one job in, one PDF out; its exit status says how it went."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    stderr = stderr or sys.stderr
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    with contextlib.suppress(ValueError, OSError):
        limit = int(cpu_seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))  # then SIGXCPU ends it
    try:
        load_weasyprint()
    except Unavailable as missing:
        stderr.write(str(missing))
        return EXIT_UNAVAILABLE
    try:
        html, css, base_url, images = decode_job(stdin)
        pdf = html_to_pdf(html, css, base_url, images)
    except Exception as exc:  # noqa: BLE001 — any failure is reported as a status
        stderr.write(f"{type(exc).__name__}: {str(exc)[:300]}")
        return EXIT_FAILED
    stdout.write(pdf)
    stdout.flush()
    return 0


# --- in the web process ------------------------------------------------------------------------


def too_slow(seconds: float) -> str:
    return f"The PDF took longer than {seconds:.0f} seconds to make and was stopped."


def worker_command(cpu_seconds: float) -> list[str]:
    return [sys.executable, "-m", "postmortems.pdf_engine", str(cpu_seconds)]


def render(
    html: str, css: str, base_url: str, images: list[Image], *, seconds: float = SECONDS
) -> bytes:
    """The PDF of ``html`` styled by ``css``, made by a worker process within ``seconds``;
    Unavailable, TooSlow or Failed otherwise. Relative addresses resolve against ``base_url``
    (the site's own address: the PDF's links work), and only ``images`` can be fetched."""
    job = encode_job(html, css, base_url, images)
    try:
        done = subprocess.run(
            worker_command(seconds),
            input=job,
            capture_output=True,
            timeout=seconds,
            cwd=PROJECT_ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:  # the worker has been killed
        raise TooSlow(too_slow(seconds)) from None
    except OSError as exc:  # no processes or memory left to start one
        raise Failed(f"The PDF could not be started ({type(exc).__name__}).") from None
    reason = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode == EXIT_UNAVAILABLE:
        raise Unavailable(reason or MISSING_LIBRARIES)
    if done.returncode == -signal.SIGXCPU:
        raise TooSlow(too_slow(seconds))
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        raise Failed(f"The PDF could not be made (status {done.returncode}): {reason[-300:]}")
    return done.stdout


if __name__ == "__main__":
    sys.exit(work(cpu_seconds=float(sys.argv[1]) if len(sys.argv) > 1 else SECONDS))
