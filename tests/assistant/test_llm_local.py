"""The local model's set-up pieces that need no network and no build: assembling and checking the model
file from its part wheels, the server's command line, the settings printed for Folio, doctor's check."""

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from assistant import llm_local
from assistant.llm_local import LocalModel, ServerConfig, assemble, check_local, layout, part_wheels, server_command
from assistant.settings import Settings
from storage.errors import ConfigError

PIECES = [b"GGUF" + b"a" * 1000, b"b" * 2000, b"c" * 10]


def make_parts(folder: Path, pieces=PIECES, package="tiny_model_part") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n, data in enumerate(pieces, start=1):
        with zipfile.ZipFile(folder / f"{package}{n}-0.1.0-py3-none-any.whl", "w") as zf:
            zf.writestr(f"{package}{n}/__init__.py", "")
            zf.writestr(f"{package}{n}/data/part{n:02d}.bin", data)


def model(pieces=PIECES) -> LocalModel:
    whole = b"".join(pieces)
    return LocalModel("tiny", "tiny-model-part", "0.1.0", len(pieces), len(whole), hashlib.sha256(whole).hexdigest())


def test_parts_are_assembled_in_part_order_and_checked(tmp_path: Path) -> None:
    make_parts(tmp_path / "parts", PIECES + [b"d"] * 8)  # parts 1..11: "10" must come after "9", not after "1"
    pieces = PIECES + [b"d"] * 8
    wheels = part_wheels(tmp_path / "parts", model(pieces))
    assert [w.name.split("-")[0] for w in wheels][-3:] == ["tiny_model_part9", "tiny_model_part10", "tiny_model_part11"]
    target = assemble(wheels, tmp_path / "models" / "tiny.gguf", model(pieces))
    assert target.read_bytes() == b"".join(pieces)


def test_a_damaged_part_never_becomes_the_model_file(tmp_path: Path) -> None:
    make_parts(tmp_path / "parts", [PIECES[0], b"x" * 2000, PIECES[2]])
    target = tmp_path / "models" / "tiny.gguf"
    with pytest.raises(ConfigError, match="not the pinned"):
        assemble(part_wheels(tmp_path / "parts", model()), target, model())
    assert not target.exists() and not list(target.parent.iterdir())


def test_a_missing_part_is_named(tmp_path: Path) -> None:
    make_parts(tmp_path / "parts", PIECES[:2])
    with pytest.raises(ConfigError, match="tiny-model-part3"):
        part_wheels(tmp_path / "parts", model())


def test_pinned_models_are_the_measured_files() -> None:
    big = llm_local.MODELS["1.5b"]
    assert big.parts == 22 and big.size == 1117320768 and len(big.sha256) == 64
    assert llm_local.MODELS["0.5b"].parts == 6


def test_the_server_listens_on_loopback_and_folio_settings_are_valid(tmp_path: Path) -> None:
    cfg = ServerConfig(model="1.5b", port=8123, threads=1, context=8192)
    command = server_command(layout(tmp_path), cfg)
    assert command[command.index("--host") + 1] == "127.0.0.1" and command[command.index("--n_threads") + 1] == "1"
    assert command[command.index("--model_alias") + 1] == llm_local.MODELS["1.5b"].name
    env = cfg.folio_settings()
    settings = Settings(_env_file=None, **{k.removeprefix("FOLIO_").lower(): v for k, v in env.items()})  # type: ignore[arg-type]
    assert settings.answerer == "openai" and settings.llm_base_url == "http://127.0.0.1:8123/v1"
    assert settings.llm_model == llm_local.MODELS["1.5b"].name and settings.llm_context_tokens == 8192


def test_doctor_reports_the_local_model(tmp_path: Path) -> None:
    assert check_local(tmp_path).skipped
    lay = layout(tmp_path)
    llm_local.save_config(lay, ServerConfig(model="0.5b", port=8123, threads=1))
    incomplete = check_local(tmp_path)
    assert not incomplete.ok and not incomplete.required and "setup" in incomplete.detail
    lay.config.write_text("{not json")
    assert "damaged" in check_local(tmp_path).detail
    assert json.loads(json.dumps(check_local(tmp_path).__dict__))["required"] is False
