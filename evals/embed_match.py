"""Do the ONNX question vectors match sentence-transformers'? Measured on eval sets' questions.

    python -m evals.embed_match SET_DIR... [--data-dir DIR]

For every question of each set's ``qa.jsonl``: the cosine of the two query vectors, and whether the
dense ranking over the set's eval collection (``folio eval`` made it under the data dir) is the
same chunk for chunk in the first ``K`` places. Prints one line per set.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from assistant.settings import Settings
from storage.chroma import ChromaStore, open_client
from storage.embed import MiniLmEmbedder, build_embedder

K = 20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.embed_match")
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--data-dir", type=Path, help="data dir holding the eval collections (default: FOLIO_DATA_DIR)")
    args = parser.parse_args(argv)
    settings = Settings() if args.data_dir is None else Settings(data_dir=args.data_dir)
    reference = MiniLmEmbedder(threads=settings.embed_threads)
    onnx = build_embedder(settings.store, settings.models_dir or settings.data_dir / "models")
    client = open_client(settings.store, settings.data_dir)
    for set_dir in args.sets:
        lines = (set_dir / "qa.jsonl").read_text(encoding="utf-8").splitlines()
        questions = [json.loads(line)["question"] for line in lines if line.strip()]
        names = sorted(p.name for p in (settings.data_dir / "collections").glob(f"eval-{set_dir.name}-photo-*"))
        store = ChromaStore(client, names[-1], reference.model_id) if names else None
        cos, same = [], 0
        for q in questions:
            a, b = np.asarray(reference.embed_query(q)), np.asarray(onnx.embed_query(q))
            cos.append(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))
            if store is not None:
                same += [h.chunk.id for h in store.search(a.tolist(), K)] == [h.chunk.id for h in store.search(b.tolist(), K)]
        ranks = f"identical top-{K} dense ranks {same}/{len(questions)} ({names[-1]})" if store else "no eval collection"
        print(f"{set_dir.name}: {len(questions)} questions, cosine min {min(cos):.9f} (1 - min = {1 - min(cos):.1e}) mean {np.mean(cos):.9f}; {ranks}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
