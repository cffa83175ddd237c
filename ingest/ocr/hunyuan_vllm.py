"""HunyuanOCR on a vLLM server as Folio's production OCR engine: lines and blocks, all with boxes.

Each page costs two requests to the server:

1. **Spotting** gives the page's lines with boxes ([0, 1000] coordinates, mapped to pixels of the
   page image). These become ``OcrPage.lines``. If this pass fails or its output cannot be trusted
   (malformed, coordinate-only, looping, cut off at ``max_tokens``), the page is read by the
   ``fallback`` engine instead and marked ``status="fallback"`` with the reason in ``error``.
2. **Doc parsing** gives the page's Markdown (headings, paragraphs, HTML tables) without boxes;
   figure coordinate pairs are stripped, the blocks are aligned with the spotted lines
   (``hunyuan_align``) and become ``OcrPage.blocks``. If this pass fails or aligns badly, the page
   keeps its spotted lines, ``blocks`` stays None (the ingest lays the lines out itself) and
   ``extra["doc_parse"]`` says why.

A page is never lost: any failure ends in the fallback engine, and a failure of that too gives a
``failed`` page with both reasons. When the server cannot be reached, the engine stops trying it
for ``down_retry_s`` seconds so the rest of a document falls back without waiting on retries.
``read_pages`` sends up to ``hunyuan_concurrency`` pages at once and keeps their order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from ingest.config import IngestSettings
from ingest.ocr import OcrEngine
from ingest.ocr.hunyuan_align import align_blocks
from ingest.ocr.hunyuan_client import Completion, HunyuanClient, RetryPolicy
from ingest.ocr.hunyuan_format import NORM, check_spotting, parse_spotting, strip_figure_coords
from ingest.ocr.hunyuan_image import MAX_PIXELS, MAX_PIXELS_1_5, EncodedImage, encode_page
from ingest.ocr.hunyuan_markdown import split_blocks
from ingest.ocr.hunyuan_prompts import DOC_PARSE, SAMPLING_1_0, SAMPLING_1_5, SPOTTING, Sampling
from ingest.pages import OcrPage, PageImage
from storage.errors import AppError, EngineUnavailable, OcrError
from storage.schema import BBox, Block, Line

log = logging.getLogger(__name__)

MIN_COVERAGE = 0.5  # share of spotted text the parsed blocks must account for to be used


class HunyuanVllmOcr:
    """The ``OcrEngine`` for HunyuanOCR behind vLLM's OpenAI-compatible API (see the module doc)."""

    name = "hunyuan-vllm"

    def __init__(
        self,
        cfg: IngestSettings,
        fallback: OcrEngine,
        *,
        sampling: Sampling | None = None,
        max_tokens: int = 16384,
        max_pixels: int | None = None,
        retry: RetryPolicy | None = None,
        down_retry_s: float = 30.0,
    ) -> None:
        v1 = cfg.hunyuan_generation == "1.0"
        sampling = sampling or (SAMPLING_1_0 if v1 else SAMPLING_1_5)
        max_pixels = max_pixels or (MAX_PIXELS if v1 else MAX_PIXELS_1_5)
        self._client = HunyuanClient.from_settings(cfg, sampling=sampling, max_tokens=max_tokens, retry=retry)
        self._fallback = fallback
        self._concurrency = cfg.hunyuan_concurrency
        self._max_pixels = max_pixels
        self._down_retry_s = down_retry_s
        self._lock = threading.Lock()
        self._fallback_lock = threading.Lock()
        self._down_until = 0.0
        self._down_reason = ""

    @property
    def base_url(self) -> str:
        return self._client.base_url

    @property
    def concurrency(self) -> int:
        """Pages this engine reads at once (the ingest orchestrator hands it groups of this size)."""
        return self._concurrency

    def close(self) -> None:
        self._client.close()

    def read_pages(self, pages: Sequence[PageImage]) -> list[OcrPage]:
        """Read pages concurrently (at most ``hunyuan_concurrency`` at once); results in input order."""
        if len(pages) <= 1 or self._concurrency == 1:
            return [self.read_page(page) for page in pages]
        with ThreadPoolExecutor(max_workers=min(self._concurrency, len(pages)), thread_name_prefix="hunyuan") as pool:
            return list(pool.map(self.read_page, pages))

    def read_page(self, page: PageImage) -> OcrPage:
        """Lines and blocks of one page, boxes in pixels of ``page.image`` (rotation 0); never raises ``AppError``."""
        started = time.perf_counter()
        where = f"{page.source} page {page.page}"
        outage = self._outage()
        if outage:
            return self._fall_back(page, outage, started)
        image = encode_page(page.image, max_pixels=self._max_pixels)
        try:
            lines, spot_seconds = self._spot(page, image, where)
        except AppError as exc:
            self._note_failure(exc)
            return self._fall_back(page, str(exc), started)
        blocks, parse_note = self._parse(image, lines, where)
        extra = {"sent_size": f"{image.width}x{image.height}", "spotting_s": f"{spot_seconds:.2f}", "doc_parse": parse_note}
        log.debug("%s: %d lines, %s blocks in %.2fs", where, len(lines), "no" if blocks is None else len(blocks),
                  time.perf_counter() - started)
        return OcrPage(page=page.page, lines=lines, engine=self.name, blocks=blocks,
                       seconds=time.perf_counter() - started, extra=extra)

    def _spot(self, page: PageImage, image: EncodedImage, where: str) -> tuple[tuple[Line, ...], float]:
        answer = self._client.complete(image.data_url, SPOTTING, where=f"{where} (spotting)")
        _check_finished(answer, "spotting")
        spotting = parse_spotting(answer.text)
        check_spotting(spotting)
        width, height = page.image.size
        lines = tuple(
            Line(text=item.text, bbox=_to_pixels(item.box, width, height)) for item in spotting.items
        )
        if spotting.rejected:
            log.info("%s: %d spotted items rejected (first: %s)", where, len(spotting.rejected), spotting.rejected[0])
        return lines, answer.seconds

    def _parse(self, image: EncodedImage, lines: tuple[Line, ...], where: str) -> tuple[tuple[Block, ...] | None, str]:
        """Blocks from doc parsing aligned with ``lines``, or None and the reason they are not usable."""
        if not lines:
            return (), "skipped: no text spotted"
        try:
            answer = self._client.complete(image.data_url, DOC_PARSE, where=f"{where} (doc parse)")
            _check_finished(answer, "doc parse")
        except AppError as exc:
            self._note_failure(exc)
            log.warning("%s: doc parsing failed, layout will come from the lines: %s", where, exc)
            return None, f"failed: {exc}"
        markdown, _ = strip_figure_coords(answer.text)
        aligned = align_blocks(split_blocks(markdown), lines)
        note = (f"ok: coverage {aligned.coverage:.2f}, {aligned.unmatched} unconfirmed blocks dropped, "
                f"{aligned.orphans} lines outside the parse, {aligned.absorbed} short lines absorbed")
        if aligned.coverage < MIN_COVERAGE:
            log.warning("%s: doc-parse blocks cover %.0f%% of the spotted text; not used", where, 100 * aligned.coverage)
            return None, f"unused: blocks cover only {aligned.coverage:.0%} of the spotted text"
        return aligned.blocks, note

    def _fall_back(self, page: PageImage, reason: str, started: float) -> OcrPage:
        log.warning("%s page %d: HunyuanOCR unusable, reading it with %s: %s", page.source, page.page, self._fallback.name, reason)
        try:
            with self._fallback_lock:  # the CPU engine is not shared between threads
                got = self._fallback.read_page(page)
        except AppError as exc:
            return OcrPage(page=page.page, lines=(), engine=self.name, status="failed",
                           error=f"{reason}; the fallback engine {self._fallback.name} failed too: {exc}",
                           seconds=time.perf_counter() - started)
        status = "failed" if got.status == "failed" else "fallback"
        error = f"{reason}; {got.error}" if got.error else reason
        return replace(got, status=status, error=error, seconds=time.perf_counter() - started)

    def _note_failure(self, exc: AppError) -> None:
        if isinstance(exc, EngineUnavailable):
            with self._lock:
                self._down_until = time.monotonic() + self._down_retry_s
                self._down_reason = str(exc)

    def _outage(self) -> str:
        with self._lock:
            if time.monotonic() < self._down_until:
                return f"{self._down_reason} (not retried for {self._down_retry_s:g}s after it failed)"
            return ""


def _check_finished(answer: Completion, task: str) -> None:
    if answer.finish_reason == "repetition":
        raise OcrError(f"HunyuanOCR's {task} output started repeating itself; the client stopped it after "
                       f"{answer.streamed_chars} characters")
    if answer.finish_reason == "length":
        raise OcrError(f"HunyuanOCR's {task} output hit the max_tokens cap after {len(answer.text)} characters")


def _to_pixels(box: tuple[float, float, float, float], width: int, height: int) -> BBox:
    """A [0, 1000] box as pixels of a ``width`` x ``height`` image."""
    x0, y0, x1, y1 = box
    return BBox(x0=x0 * width / NORM, y0=y0 * height / NORM, x1=x1 * width / NORM, y1=y1 * height / NORM)
