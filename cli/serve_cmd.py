"""``folio serve [--host] [--port]``: the REST API (``api.app``) on uvicorn, one process."""

from __future__ import annotations

import argparse
import sys

from cli.common import add_settings_flags, build_settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="serve the REST API (OCR, documents, ingest jobs, cited answers)")
    p.add_argument("--host", help="address to listen on [FOLIO_API_HOST, default 127.0.0.1]; beyond loopback needs FOLIO_API_KEYS")
    p.add_argument("--port", type=int, help="port to listen on [FOLIO_API_PORT, default 8000]")
    add_settings_flags(p, "collection", "engine", "embedder", "answerer")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from api.access_log import AccessLog
    from api.app import create_app
    from api.server import server_config
    from api.config import check_exposure

    settings = build_settings(args)
    api = settings.api.model_copy(update={k: v for k, v in (("api_host", args.host), ("api_port", args.port)) if v is not None})
    check_exposure(api)  # before loading any model
    app = create_app(settings, api)
    url = f"http://{api.api_host}:{api.api_port}"
    print(f"folio: serving the API of collection {settings.collection!r} on {url} (docs: {url}/docs); Ctrl+C stops it",
          file=sys.stderr, flush=True)
    uvicorn.Server(server_config(AccessLog(app), api, log_level="info" if args.verbose else "warning", access_log=False)).run()
    return 0
