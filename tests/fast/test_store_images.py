"""Images as the ebook stores take them (writers/epub/store.py): 8-bit RGB, at most 4 million pixels."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageCms

from bookmaker.writers.epub.store import MAX_PIXELS, image_header, screen_image


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _png16(width: int, height: int) -> bytes:
    """A 16-bit RGB PNG (Pillow writes none), made chunk by chunk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80\x00\x20\x00\xff\xff" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_a_screen_ready_image_is_kept_byte_for_byte():
    for data, name in [(_encoded(Image.new("RGB", (40, 30), "teal"), "JPEG"), "a.jpg"),
                       (_encoded(Image.new("RGBA", (40, 30), (1, 2, 3, 4)), "PNG"), "a.png"),
                       (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.svg")]:
        assert screen_image(name, data) is data


def test_a_cmyk_jpeg_becomes_rgb_through_its_own_profile():
    swop = ImageCms.ImageCmsProfile("/usr/share/color/icc/ghostscript/default_cmyk.icc") \
        if __import__("pathlib").Path("/usr/share/color/icc/ghostscript/default_cmyk.icc").exists() else None
    cmyk = Image.new("CMYK", (40, 30), (0, 255, 255, 0))  # process red
    options = {"icc_profile": swop.tobytes()} if swop else {}
    data = _encoded(cmyk, "JPEG", **options)
    assert image_header(data)[2] == 4
    converted = screen_image("red.jpg", data)
    with Image.open(io.BytesIO(converted)) as image:
        assert image.mode == "RGB" and image.format == "JPEG"
        red, green, blue = image.getpixel((20, 15))
        assert red > 180 and green < 90 and blue < 90  # still the same red


def test_a_16_bit_png_becomes_8_bit():
    data = _png16(20, 10)
    assert image_header(data) == (20, 10, 3, 16)
    converted = screen_image("deep.png", data)
    assert image_header(converted) == (20, 10, 3, 8)


def test_an_image_over_four_million_pixels_is_scaled_down():
    data = _encoded(Image.new("RGB", (2600, 1600), "navy"), "PNG")
    converted = screen_image("huge.png", data)
    width, height, _, _ = image_header(converted)
    assert width * height <= MAX_PIXELS and abs(width / height - 2600 / 1600) < 0.01
