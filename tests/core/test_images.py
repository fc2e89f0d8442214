"""Images cut short are refused at upload, in a process that has imported WeasyPrint (which
turns on Pillow's LOAD_TRUNCATED_IMAGES): both the evidence attachment check and the page
image check decode every pixel, and create_app turns the leniency off again."""

from __future__ import annotations

import io

import pytest
import weasyprint  # noqa: F401 - imported, as the app does, before the checks run
from flask import Flask
from PIL import Image, ImageFile

from portfolio.core.filetypes import FileRejected, detect
from portfolio.core.images import ImageRejected, check_image


def _photo(kind: str) -> bytes:
    """A noisy picture (noise compresses badly, so a cut loses real pixels)."""
    out = io.BytesIO()
    Image.effect_noise((400, 300), 64).convert("RGB").save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
@pytest.mark.parametrize("kept", [0.7, 0.85, 0.97])
def test_an_image_cut_short_is_refused(app: Flask, kind: str, kept: float) -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    whole = _photo(kind)
    cut = whole[: int(len(whole) * kept)]
    with pytest.raises(FileRejected, match="damaged"):
        detect(cut)
    with pytest.raises(ImageRejected, match="damaged"):
        check_image(cut, 10 * 1024 * 1024)
    # The whole picture is accepted by both.
    detect(whole)
    check_image(whole, 10 * 1024 * 1024)
