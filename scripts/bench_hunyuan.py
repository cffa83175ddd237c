"""Pages per second of the HunyuanOCR engine against concurrency, measured with the fake vLLM server.

The fake server (tests/fakes/hunyuan_server.py) answers every request after a fixed delay, like a
GPU that needs that long per request; each page costs two requests (spotting, doc parse). What is
measured is the client side: how well ``read_pages`` overlaps requests, plus its own per-page work
(JPEG encoding, streaming, parsing, alignment) and the fake's (decoding, page matching). A real
vLLM server batches concurrent requests on one GPU, so its per-request time grows with the batch:
real scaling is lower than this and must be measured on the GPU host.

    .venv/bin/python scripts/bench_hunyuan.py [--delay 0.5] [--pages 16] [--concurrency 1,2,4,8]
    .venv/bin/python scripts/bench_hunyuan.py --url http://gpu-host:8000/v1    # the same, against a real server
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from ingest.config import IngestSettings  # noqa: E402
from ingest.ocr.hunyuan_vllm import HunyuanVllmOcr  # noqa: E402
from ingest.pages import PageImage  # noqa: E402
from tests.fakes.hunyuan_server import FakeHunyuanServer  # noqa: E402

DEVSET = ROOT / "tests" / "data" / "devset-mini"


def load_pages(n: int) -> list[PageImage]:
    photos = sorted((DEVSET / "images" / "photo").glob("*.jpg"))
    images = [Image.open(p).convert("RGB") for p in photos]
    return [PageImage(page=i + 1, image=images[i % len(images)], source=photos[i % len(photos)].name) for i in range(n)]


def measure(base_url: str, pages: list[PageImage], concurrency: int) -> dict[str, float | int]:
    from ingest.ocr.cpu import CpuOcr

    cfg = IngestSettings(ocr_engine="hunyuan", hunyuan_base_url=base_url, hunyuan_concurrency=concurrency)
    engine = HunyuanVllmOcr(cfg, CpuOcr(model="tiny", threads=1))
    try:
        engine.read_pages(pages[:1])  # warm the connection pool
        started = time.perf_counter()
        results = engine.read_pages(pages)
        seconds = time.perf_counter() - started
    finally:
        engine.close()
    ok = sum(r.status == "ok" and r.blocks is not None for r in results)
    return {"concurrency": concurrency, "pages": len(pages), "ok": ok, "seconds": seconds, "pages_per_s": len(pages) / seconds}


def run_levels(base_url: str, pages: list[PageImage], levels: list[int]) -> list[dict[str, float | int]]:
    rows = []
    for level in levels:
        rows.append(measure(base_url, pages, level))
        print(f"concurrency {level}: {rows[-1]['pages_per_s']:.2f} pages/s", file=sys.stderr)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=0.5, help="seconds the fake server takes per request (default 0.5)")
    parser.add_argument("--pages", type=int, default=16, help="pages per run (the 5 dev-set photos, repeated)")
    parser.add_argument("--concurrency", default="1,2,4,8", help="comma-separated concurrency levels")
    parser.add_argument("--url", help="measure a real server at this base URL (…/v1) instead of the fake")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args()
    pages = load_pages(args.pages)
    levels = [int(c) for c in args.concurrency.split(",")]
    if args.url:
        rows = run_levels(args.url, pages, levels)
        print(f"server {args.url}, 2 requests per page, {args.pages} pages per run\n")
    else:
        with FakeHunyuanServer(DEVSET, delay_s=args.delay) as fake:
            rows = run_levels(fake.base_url, pages, levels)
        print(f"fake server delay {args.delay:g} s per request, 2 requests per page, {args.pages} pages per run\n")
    base = rows[0]["pages_per_s"]
    print("| concurrency | pages ok | seconds | pages/s | vs first |")
    print("|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['concurrency']} | {row['ok']}/{row['pages']} | {row['seconds']:.2f} | {row['pages_per_s']:.2f} "
              f"| {row['pages_per_s'] / base:.2f}x |")
    if args.json:
        args.json.write_text(json.dumps({"url": args.url, "delay_s": None if args.url else args.delay, "rows": rows}, indent=2))
    return 0 if all(row["ok"] == row["pages"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
