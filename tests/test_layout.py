"""The top-level names models, tools, ui, assistant, prompts are generic: they must come from this repo."""

import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["models", "tools", "ui", "assistant", "prompts"])
def test_package_imports_from_this_repository(name):
    mod = importlib.import_module(name)
    assert Path(mod.__file__).resolve().parent == REPO / name
