"""Shared fixtures: the project's own codebook and config, and small frames built in code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from invitesurvey import codebook

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def book() -> codebook.Codebook:
    return codebook.load(ROOT / "config" / "codebook.yaml")


@pytest.fixture(scope="session")
def config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
