"""HunyuanOCR's other tasks on one image: field extraction and photo translation."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from ingest.config import IngestSettings
from ingest.ocr.hunyuan_client import HunyuanClient
from ingest.ocr.hunyuan_image import encode_page
from ingest.ocr.hunyuan_prompts import TRANSLATE, TargetLanguage, extraction_prompt
from storage.errors import InputError, OcrError

JSON_OBJECT = re.compile(r"\{.*\}", re.S)


def extract_from_file(path: Path, fields: Sequence[str], cfg: IngestSettings) -> dict[str, str]:
    """``extract_fields`` on the first page of an image or PDF file, with the configured server."""
    image = first_page(path, cfg)
    with HunyuanClient.from_settings(cfg) as client:
        return extract_fields(client, image, fields, where=path.name)


def translate_file(path: Path, target: TargetLanguage, cfg: IngestSettings) -> str:
    """``translate`` on the first page of an image or PDF file, with the configured server."""
    image = first_page(path, cfg)
    with HunyuanClient.from_settings(cfg) as client:
        return translate(client, image, target, where=path.name)


def first_page(path: Path, cfg: IngestSettings) -> Image.Image:
    """The first page of a file as the ingest would see it (checked, EXIF-upright, RGB)."""
    from ingest.sources import iter_pages, open_source

    doc = open_source(path, cfg)
    return next(iter_pages(doc, cfg)).image


def extract_fields(client: HunyuanClient, image: Image.Image, fields: Sequence[str], *, where: str = "") -> dict[str, str]:
    """The value of each field on the image ("" when the model found none), in the order asked."""
    names = [f.strip() for f in fields if f.strip()]
    if not names:
        raise InputError("no fields to extract: pass them comma-separated, e.g. --fields 'Invoice number,Total'")
    answer = client.complete(encode_page(image).data_url, extraction_prompt(names), where=where)
    found = _json_object(answer.text)
    return {name: _as_text(found.get(name, "")) for name in names}


def translate(client: HunyuanClient, image: Image.Image, target: TargetLanguage, *, where: str = "") -> str:
    """The image's text translated into ``target`` ("en" or "zh"), as Markdown."""
    answer = client.complete(encode_page(image).data_url, TRANSLATE[target], where=where)
    if answer.finish_reason == "repetition":
        raise OcrError(f"HunyuanOCR's translation of {where or 'the image'} started repeating itself; try a tighter crop")
    return answer.text.strip()


def _json_object(text: str) -> dict[str, object]:
    """The JSON object in the model's answer (it may sit in a ```json fence)."""
    match = JSON_OBJECT.search(text)
    try:
        value = json.loads(match.group(0)) if match else None
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise OcrError(f"HunyuanOCR's answer to the field extraction is not a JSON object: {text[:200]!r}")
    return value


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
