"""What an uploaded file is, decided from its bytes alone, and a clean copy of it.

Nothing the browser says is believed: not its content type, not the file's extension. The
bytes are an image Pillow can read (PNG, JPEG, GIF, WebP), a PDF, or UTF-8 text, or the file is
refused with a sentence a person can act on. An image is decoded and encoded again (only its
first frame, without EXIF, comments, colour profiles or anything after its last pixel), so what
is stored is pixels and nothing else: a polyglot (a PNG that is also HTML or a script) loses
its other half. A PDF and a text are kept as they are and only ever downloaded, never shown
in the app's pages.

This module knows no document: ``postmortems.attachments`` decides who may attach what where.
"""

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from PIL import Image, ImageOps, UnidentifiedImageError

# Pixels an image may have, at most: a 5K screenshot has 15 million. Decoding costs 4 bytes a
# pixel, so a small file that claims 100,000 × 100,000 pixels (a decompression bomb) is refused
# from its header, before any of it is decoded.
MAX_PIXELS = 25_000_000
# The formats Pillow may even try: never its other plugins (EPS would start Ghostscript).
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
# What each is stored as, with its extension: a GIF's first frame becomes a PNG.
ENCODED_AS = {
    "PNG": ("PNG", "image/png", "png"),
    "GIF": ("PNG", "image/png", "png"),
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    # A JPEG with more pictures after the first (cameras' MPO): Pillow's JPEG reader says "MPO".
    "MPO": ("JPEG", "image/jpeg", "jpg"),
    "WEBP": ("WEBP", "image/webp", "webp"),
}
TEXT_EXTENSIONS = ("txt", "log", "csv", "json")
# Extensions that promise something the bytes must then be.
IMAGE_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "webp"}
# An SVG file (a picture, but also a document that runs scripts): its first element is <svg>.
SVG = re.compile(
    rb"(?:<\?xml[^>]{0,200}>\s*)?(?:<!doctype[^>]{0,300}>\s*)?<svg[\s>/]", re.IGNORECASE
)
NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
MAX_STEM = 80
ALLOWED_TEXT = "PNG, JPEG, GIF or WebP images, PDFs, and UTF-8 text files (.txt, .log, .csv, .json)"


class UploadRefused(ValueError):
    """The file cannot be attached; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class CheckedFile:
    """What is stored: clean bytes, their real type, a safe name."""

    data: bytes
    content_type: str
    name: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def safe_name(original: str, extension: str) -> str:
    """The original name without folders, in ASCII letters, digits, ".", "_" and "-", with the
    extension of what the file is: ``../Latency graph (p99).PNG`` → ``Latency-graph-p99.png``."""
    base = PurePosixPath(str(original).replace("\\", "/")).name
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = NAME_CHARS.sub("-", stem).strip("._-")[:MAX_STEM].strip("._-")
    return f"{stem or 'file'}.{extension}"


def extension_of(name: str) -> str:
    """The name's extension, lower case, in ASCII letters and digits ("" for none)."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    extension = base.rsplit(".", 1)[1].lower() if "." in base.lstrip(".") else ""
    return re.sub(r"[^a-z0-9]", "", extension)[:10]


def check(data: bytes, name: str, *, max_bytes: int) -> CheckedFile:
    """A clean copy of the file, or UploadRefused."""
    shown = safe_name(name, extension_of(name) or "file") if name else "The file"
    if not data:
        raise UploadRefused(f"{shown} is empty.")
    if len(data) > max_bytes:
        raise UploadRefused(
            f"{shown} is {megabytes(len(data))}; a file may be {megabytes(max_bytes)} at most."
        )
    extension = extension_of(name)
    image = _image(data, shown)
    if image is not None:
        data, content_type, encoded_extension = image
        if len(data) > max_bytes:
            raise UploadRefused(
                f"{shown}, cleaned, is {megabytes(len(data))}: more than "
                f"{megabytes(max_bytes)}. Save it smaller (fewer pixels, or as JPEG) and attach it "
                "again."
            )
        return CheckedFile(data, content_type, safe_name(name, encoded_extension))
    if data.startswith(b"%PDF-"):
        return CheckedFile(data, "application/pdf", safe_name(name, "pdf"))
    if extension == "svg" or SVG.match(data[:4096].lstrip()):
        raise UploadRefused(
            f"{shown}: SVG images are not accepted (they can carry scripts). Export the "
            "picture as PNG and attach that."
        )
    if extension in IMAGE_EXTENSIONS or extension == "pdf":
        raise UploadRefused(
            f"{shown} is called .{extension} but is not a {_kind(extension)}: its bytes say "
            f"otherwise. Attach {ALLOWED_TEXT}."
        )
    if extension and extension not in TEXT_EXTENSIONS:
        raise UploadRefused(f"{shown}: .{extension} files are not accepted. Attach {ALLOWED_TEXT}.")
    _text(data, shown)
    return CheckedFile(data, "text/plain", safe_name(name, extension or "txt"))


def _image(data: bytes, shown: str):
    """(clean bytes, content type, extension) for an image, None for anything that is not one."""
    try:
        with warnings.catch_warnings():
            # Pillow warns past its own pixel limit and refuses past twice that: both refuse.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as image:
                source = image.format
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise UploadRefused(_too_many_pixels(shown, width, height))
                image.seek(0)  # an animation keeps its first frame
                image.load()
                return _encode(image, source)
    except UnidentifiedImageError:
        return None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(
            f"{shown} claims more pixels than an image may have ({MAX_PIXELS:,}): it was "
            "not opened."
        ) from None
    except UploadRefused:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError):
        # Pillow says a damaged or truncated image in any of these.
        raise UploadRefused(
            f"{shown} looks like an image but cannot be read (damaged or cut short?). Save it "
            "again and attach the new file."
        ) from None


def _encode(image: Image.Image, source: str) -> tuple[bytes, str, str]:
    """The pixels alone, as a new file of the same kind (a GIF's frame as PNG)."""
    target, content_type, extension = ENCODED_AS[source]
    frame = ImageOps.exif_transpose(image)  # a photo taken sideways stays upright
    has_alpha = frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info
    if target == "JPEG":
        frame = frame.convert("L" if frame.mode in ("1", "L") else "RGB")
    elif frame.mode not in ("1", "L", "LA", "RGB", "RGBA", "I;16"):
        frame = frame.convert("RGBA" if has_alpha else "RGB")
    clean = Image.new(frame.mode, frame.size)
    clean.paste(frame)  # a new image: nothing of the old one's metadata comes along
    out = io.BytesIO()
    if target == "JPEG":
        clean.save(out, "JPEG", quality=90)
    elif target == "WEBP":
        clean.save(out, "WEBP", quality=90)
    else:
        clean.save(out, "PNG")
    return out.getvalue(), content_type, extension


def _text(data: bytes, shown: str) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadRefused(
            f"{shown} is neither an image, a PDF nor UTF-8 text. Attach {ALLOWED_TEXT}."
        ) from None
    if "\x00" in text:
        raise UploadRefused(f"{shown} holds NUL characters: it is not a text file.")


def _kind(extension: str) -> str:
    return {
        "png": "PNG image",
        "jpg": "JPEG image",
        "jpeg": "JPEG image",
        "gif": "GIF image",
        "webp": "WebP image",
        "pdf": "PDF",
    }[extension]


def _too_many_pixels(shown: str, width: int, height: int) -> str:
    return (
        f"{shown} is {width:,} × {height:,} pixels; an image may have {MAX_PIXELS:,} pixels "
        "at most. Make it smaller and attach it again."
    )


def megabytes(size: int) -> str:
    """10 MB, 9.5 MB, 300 KB."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


class LimitedUpload(FileUploadHandler):
    """Stops storing an uploaded file once it passes ``limit`` bytes (the rest is skipped, not
    written to a temporary file: 400 MB went to one before a 2 MB refusal), and remembers that
    it did. Put first in ``request.upload_handlers``; the next handler holds the file."""

    def __init__(self, request=None, limit=0):
        super().__init__(request)
        self.limit = limit
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) holds the file
