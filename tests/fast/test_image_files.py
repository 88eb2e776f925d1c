"""An image file cut short (a copy stopped halfway, a download that failed) is refused at read time
(issue 27): its header alone looked fine, and the book printed half a picture or none, at exit 0."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bookmaker.safety.images import check_image


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((64, 64), 40).convert("RGB").save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize("name, kind", [("a.png", "PNG"), ("a.jpg", "JPEG")])
def test_a_whole_image_is_accepted_and_one_cut_short_refused(name: str, kind: str) -> None:
    data = _image(kind)
    assert check_image(name, data) is None
    problem = check_image(name, data[: len(data) // 2])
    assert problem is not None and "cut short" in problem
