"""Preparing a page image for HunyuanOCR: within the model's pixel limits, as a JPEG data URL.

HunyuanOCR 1.0's processor takes images between 512x512 and 2048x2048 pixels by area (1.5 takes up
to about 4096x4096) with sides that are multiples of 32. A page outside those limits is scaled here,
keeping its aspect, to sides that are multiples of 32 within them (no point sending pixels the
server would throw away); a page within them is sent as it is and the server's processor does its
own small rounding. The model's boxes are normalised to
[0, 1000] over the sent image in each axis, so they map back to the page image by the page's own
size, exactly, whatever the scaling and the rounding of the sides did.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

from PIL import Image

MIN_PIXELS = 512 * 512
MAX_PIXELS = 2048 * 2048  # HunyuanOCR 1.0's processor limit
MAX_PIXELS_1_5 = 4096 * 4096  # 1.5's default limit
SIDE_MULTIPLE = 32
JPEG_QUALITY = 90


@dataclass(frozen=True)
class EncodedImage:
    """A page image ready to send: the data URL and the size (pixels) of the image inside it."""

    data_url: str
    width: int
    height: int

    def __repr__(self) -> str:  # never put the base64 payload in logs or tracebacks
        return f"EncodedImage({self.width}x{self.height}, {len(self.data_url)} chars)"


def sent_size(width: int, height: int, *, min_pixels: int = MIN_PIXELS, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """The size an image of ``width`` x ``height`` is sent at: itself when its area is within limits,
    else the same aspect scaled into them with sides that are multiples of 32."""
    area = width * height
    if min_pixels <= area <= max_pixels:
        return width, height
    scale = math.sqrt((max_pixels if area > max_pixels else min_pixels) / area)
    round_side = math.floor if area > max_pixels else math.ceil
    w = max(SIDE_MULTIPLE, round_side(width * scale / SIDE_MULTIPLE) * SIDE_MULTIPLE)
    h = max(SIDE_MULTIPLE, round_side(height * scale / SIDE_MULTIPLE) * SIDE_MULTIPLE)
    return w, h


def encode_page(image: Image.Image, *, min_pixels: int = MIN_PIXELS, max_pixels: int = MAX_PIXELS) -> EncodedImage:
    """``image`` resized into the model's limits and encoded as a ``data:image/jpeg;base64`` URL."""
    size = sent_size(image.width, image.height, min_pixels=min_pixels, max_pixels=max_pixels)
    rgb = image.convert("RGB")
    if size != (image.width, image.height):
        rgb = rgb.resize(size, Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    payload = base64.b64encode(buffer.getvalue()).decode("ascii")
    return EncodedImage(data_url=f"data:image/jpeg;base64,{payload}", width=size[0], height=size[1])
