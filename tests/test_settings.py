"""Settings: the environment is read in assistant/settings.py only, and the process is configured once at the edge."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import Settings

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("assistant", "tools", "models", "ui")


def _sources():
    for pkg in PACKAGES:
        for path in sorted((REPO / pkg).rglob("*.py")):
            yield path.relative_to(REPO).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def test_only_settings_reads_the_environment():
    found = []
    for rel, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv", "unsetenv"):
                found.append(f"{rel}:{node.lineno} os.{node.attr}")
            elif isinstance(node, ast.keyword) and node.arg == "envvar":  # click reading a variable itself
                found.append(f"{rel}:{node.value.lineno} envvar=")
    assert sorted({f.split(":")[0] for f in found}) == ["assistant/settings.py"], found


def test_torch_threads_are_set_in_one_place():
    calls = [f"{rel}:{n.lineno}" for rel, tree in _sources() for n in ast.walk(tree)
             if isinstance(n, ast.Attribute) and n.attr in ("set_num_threads", "set_num_interop_threads")]
    assert [c.split(":")[0] for c in calls] == ["models/runtime.py"], calls


def test_from_env_reads_threads_dtype_and_auth_and_says_what_is_wrong():
    s = Settings.from_env(env={})
    assert (s.torch_threads, s.embed_dtype, s.auth) == (2, "auto", None)
    s = Settings.from_env(env={"MKA_TORCH_THREADS": "1", "MKA_EMBED_DTYPE": "BF16", "MKA_AUTH": "bob:pw"})
    assert (s.torch_threads, s.embed_dtype, s.auth.get_secret_value()) == (1, "bfloat16", "bob:pw")
    assert "pw" not in repr(s)
    assert Settings.from_env(env={"OMP_NUM_THREADS": "3"}).torch_threads == 3
    assert Settings.from_env({"torch_threads": 4}, env={"MKA_TORCH_THREADS": "1"}).torch_threads == 4
    assert s.updated({"model": "m2", "base_url": "http://h/v1/"}).base_url == "http://h/v1"
    with pytest.raises(ValueError, match="MKA_TORCH_THREADS"):
        Settings.from_env(env={"MKA_TORCH_THREADS": "0"})
    with pytest.raises(ValueError, match="MKA_EMBED_DTYPE.*auto, float32, bfloat16"):
        Settings.from_env(env={"MKA_EMBED_DTYPE": "int8"})


def _run(code: str, env: dict) -> dict:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "GRADIO_ANALYTICS_ENABLED", "OMP_NUM_THREADS",
                          "ANONYMIZED_TELEMETRY", "MKA_TORCH_THREADS", "MKA_EMBED_DTYPE")}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         env={**clean, **env}, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_configure_process_sets_the_library_flags_and_torch_threads_before_they_load():
    code = ("import json, os, sys; from assistant.settings import Settings, configure_process; "
            "configure_process(Settings.from_env()); "
            "import torch, huggingface_hub.constants as hf, models.runtime as rt; "
            "print(json.dumps({'hf_offline': hf.HF_HUB_OFFLINE, 'torch': torch.get_num_threads(), "
            "'gradio': os.environ['GRADIO_ANALYTICS_ENABLED'], 'runtime': [rt.current().threads, "
            "rt.current().embed_dtype]}))")
    got = _run(code, {"MKA_TORCH_THREADS": "1", "MKA_EMBED_DTYPE": "float32"})
    assert got == {"hf_offline": True, "torch": 1, "gradio": "False", "runtime": [1, "float32"]}
    # a user's choice for the analytics flag stands; the Hub stays offline whatever the environment says
    code2 = code.replace("Settings.from_env()", "Settings.from_env({'torch_threads': 1})")
    got = _run(code2, {"GRADIO_ANALYTICS_ENABLED": "True", "HF_HUB_OFFLINE": "0"})
    assert got["gradio"] == "True" and got["hf_offline"] is True


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "assistant.cli", "--help"], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0 and "demo" in out.stdout, out.stderr[-2000:]
