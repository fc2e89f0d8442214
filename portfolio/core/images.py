"""Checking uploaded images from their bytes, never from their name or declared type."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFile, UnidentifiedImageError

# Signature bytes first (cheap, and what "type checked from the bytes" means), then a full
# decode by Pillow, so a file that merely starts like a PNG is still refused.
_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
MAX_PIXELS = 40_000_000  # decompression-bomb guard, well above any photo a tutor needs


class ImageRejected(ValueError):
    """The upload is not an image we accept; the message says why, for the learner or tutor."""


@dataclass(frozen=True)
class CheckedImage:
    mimetype: str
    extension: str
    width: int
    height: int


def refuse_truncated_images() -> None:
    """Pillow's decoders fail on an image cut short again. Importing WeasyPrint turns on
    Pillow's LOAD_TRUNCATED_IMAGES for the whole process (to draw what it can of a web
    page's broken images), and with it a JPEG cut at 70-97% decodes "fully", its missing part
    grey: the upload checks would accept it. Every image this app draws was checked at upload,
    so nothing needs the leniency. Called by create_app, after every module (WeasyPrint too)
    is imported."""
    ImageFile.LOAD_TRUNCATED_IMAGES = False


def check_image(data: bytes, max_bytes: int) -> CheckedImage:
    if not data:
        raise ImageRejected("The file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(f"The image is larger than {max_bytes // (1024 * 1024)} MB.")
    declared = next((t for sig, t in _SIGNATURES.items() if data.startswith(sig)), None)
    if declared is None:
        raise ImageRejected("Only PNG and JPEG images can be uploaded.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ImageRejected("The image has too many pixels.")
                image.verify()
                found = _FORMATS.get(image.format or "")
                size = image.size
            # verify() reads a PNG's chunks but no pixels and little of a JPEG: only decoding
            # every pixel finds one cut short.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        raise ImageRejected("The file is damaged or is not really a PNG or JPEG image.") from None
    if found != declared:
        raise ImageRejected("The file's contents do not match a PNG or JPEG image.")
    return CheckedImage(
        mimetype=found,
        extension="png" if found == "image/png" else "jpg",
        width=size[0],
        height=size[1],
    )
