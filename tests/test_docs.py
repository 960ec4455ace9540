"""The README's commands are CI's commands, and the docs mention every config key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from driftwatch import config as config_package


def _readme(repo_root: Path) -> str:
    return (repo_root / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["run", "test"])
def test_readme_has_each_newcomer_command(repo_root: Path, name: str) -> None:
    block = re.search(
        rf"<!-- readme-command: {name} -->\n```bash\n(.+?)\n```", _readme(repo_root), re.S
    )
    assert block is not None
    assert block.group(1).count("\n") == 0, "one command, one line"


def test_ci_runs_the_readme_commands(repo_root: Path) -> None:
    ci = (repo_root / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/readme-command run" in ci
    assert "scripts/readme-command test" in ci


def _config_models() -> list[type[BaseModel]]:
    return [
        obj
        for obj in vars(config_package).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__.startswith(config_package.__name__)
    ]


def test_every_config_key_is_documented(repo_root: Path) -> None:
    docs = _readme(repo_root) + (repo_root / "config" / "example.yaml").read_text(encoding="utf-8")
    missing = set()
    for model in _config_models():
        for name, field in model.model_fields.items():
            if field.exclude:
                continue
            key = field.alias or name
            if not re.search(rf"\b{re.escape(key)}\b", docs):
                missing.add(f"{model.__name__}.{key}")
    assert not missing, f"config keys not mentioned in README.md: {sorted(missing)}"
