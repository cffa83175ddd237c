"""Preflight checks for ``folio doctor``: can this installation ingest right now?

Each check returns a ``Check`` (never raises): the HunyuanOCR server answers and serves the
configured model, the CPU OCR engine loads (it is also the fallback of the HunyuanOCR engine), the
data folder is writable, and the vector store (embedded, or the Chroma server) opens and answers.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.config import IngestSettings
from storage.config import StoreSettings
from storage.errors import AppError


@dataclass(frozen=True)
class Check:
    """One preflight result. A failed ``required`` check makes ``folio doctor`` exit 1."""

    name: str
    ok: bool
    detail: str
    required: bool = True
    skipped: bool = False


def check_hunyuan(cfg: IngestSettings) -> Check:
    """The configured HunyuanOCR server answers ``GET /v1/models`` and serves ``hunyuan_model``."""
    name = "hunyuan server"
    required = cfg.ocr_engine == "hunyuan"
    if not cfg.hunyuan_base_url:
        return Check(name, ok=not required, required=required, skipped=not required,
                     detail="FOLIO_OCR_ENGINE=hunyuan needs FOLIO_HUNYUAN_BASE_URL" if required
                     else "skipped: no server configured (FOLIO_HUNYUAN_BASE_URL is not set)")
    from ingest.ocr.hunyuan_client import HunyuanClient

    try:
        with HunyuanClient.from_settings(cfg) as client:
            models = client.served_models()
    except AppError as exc:
        return Check(name, ok=False, required=required, detail=str(exc))
    if cfg.hunyuan_model not in models:
        return Check(name, ok=False, required=required,
                     detail=f"{cfg.hunyuan_base_url} serves {models}, not {cfg.hunyuan_model!r}: set FOLIO_HUNYUAN_MODEL "
                            "to the server's --served-model-name")
    return Check(name, ok=True, required=required, detail=f"{cfg.hunyuan_base_url} serves {cfg.hunyuan_model}")


def check_cpu_ocr(cfg: IngestSettings) -> Check:
    """The CPU OCR engine imports and loads its models."""
    name = "cpu ocr engine"
    try:
        from ingest.ocr.cpu import CpuOcr
    except ImportError as exc:
        return Check(name, ok=False, detail=f"ingest.ocr.cpu cannot be imported ({exc}); reinstall Folio with its dependencies (pip install -e .)")
    try:
        engine = CpuOcr(model=cfg.ocr_model, threads=cfg.ocr_threads)
    except AppError as exc:
        return Check(name, ok=False, detail=str(exc))
    return Check(name, ok=True, detail=f"{engine.name} loaded ({cfg.ocr_threads} thread(s))")


def check_data_dir(data_dir: Path) -> Check:
    """The data folder exists (or can be made) and a file can be written in it."""
    name = "data dir"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".doctor-", delete=True) as probe:
            probe.write(b"ok")
    except OSError as exc:
        return Check(name, ok=False, detail=f"{data_dir} is not writable ({exc}); set FOLIO_DATA_DIR to a writable folder")
    return Check(name, ok=True, detail=f"{data_dir.resolve()} is writable")


def check_store(cfg: StoreSettings, data_dir: Path) -> Check:
    """The vector store opens and answers: the Chroma server's heartbeat, or the embedded store's files."""
    from storage.chroma import open_client
    from storage.failures import explain

    name = "vector store"
    where = f"Chroma server at {cfg.chroma_host}:{cfg.chroma_port}" if cfg.chroma_host else f"{data_dir / 'chroma'}"
    try:
        client = open_client(cfg, data_dir)
        client.heartbeat()
        n = len(client.list_collections())
    except AppError as exc:
        return Check(name, ok=False, detail=str(exc))
    except Exception as exc:  # noqa: BLE001 - a check reports, never raises
        return Check(name, ok=False, detail=explain(exc, store=where) or f"{where} does not answer ({type(exc).__name__}: {exc})")
    return Check(name, ok=True, detail=f"{where} answers ({n} collections)")


def check_embedder(cfg: StoreSettings) -> Check:
    """The configured embedder loads from its package and embeds a sentence."""
    name = "embedder"
    started = time.perf_counter()
    try:
        from storage.embed import build_embedder

        embedder = build_embedder(cfg)
        vector = embedder.embed_query("Does the embedder work?")
    except (AppError, ImportError, OSError) as exc:
        return Check(name, ok=False, detail=f"{cfg.embedder} cannot be loaded ({exc}); reinstall Folio with its dependencies "
                                            "(pip install -e .) or pick another with FOLIO_EMBEDDER")
    ms = 1000 * (time.perf_counter() - started)
    return Check(name, ok=True, detail=f"{embedder.model_id} loaded, {len(vector)} dimensions, {ms:.0f} ms")


def run_checks(cfg: IngestSettings, data_dir: Path, store: StoreSettings | None = None) -> list[Check]:
    return [check_hunyuan(cfg), check_cpu_ocr(cfg), check_data_dir(data_dir), check_store(store or StoreSettings(), data_dir)]
