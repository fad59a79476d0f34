"""Shared test helpers: run the real CLI in-process and read its output."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        return json.loads(self.stdout)


def run_cli(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    runner = CliRunner()
    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        result = runner.invoke(main, args, env={"NO_COLOR": "1", **(env or {})}, catch_exceptions=False)
    finally:
        os.chdir(old)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def freepik(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The fake Freepik on 127.0.0.1, one poll per task, its base URL and key in the environment."""
    from tests.fakes.freepik import FakeFreepik

    with FakeFreepik(steps=1) as fake:
        for k, v in fake.env().items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("FILMC_POLL_INTERVAL", "0.01")
        yield fake

