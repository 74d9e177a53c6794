"""Shared fixtures: the project's own codebook and config, and small frames built in code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from invitesurvey import codebook

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """The project's config, data and workflow copied to a temporary folder, the current
    directory for the test (tests/test_audit.py has a project fixture of its own)."""
    for name in ("config", "data", "workflow"):
        shutil.copytree(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def book() -> codebook.Codebook:
    return codebook.load(ROOT / "config" / "codebook.yaml")


@pytest.fixture(scope="session")
def config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
