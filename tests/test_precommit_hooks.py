"""The pre-commit hooks a film repository uses, run by the real pre-commit against this checkout."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.skipif(not (ROOT / ".git").exists() or shutil.which("git") is None, reason="needs a git checkout")
def test_hooks_pass_on_a_good_film_and_fail_on_a_broken_one(tmp_path: Path) -> None:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    repo = tmp_path / "film-repo"
    repo.mkdir()
    run("git", "init", "-q", cwd=repo, env=env)
    assert run(str(BIN / "filmc"), "init", ".", cwd=repo, env=env).returncode == 0
    assert run(str(BIN / "filmc"), "lock", ".", cwd=repo, env=env).returncode == 0
    film = repo / "film.yaml"
    text = film.read_text(encoding="utf-8")

    def hooks(new_text: str) -> subprocess.CompletedProcess[str]:
        film.write_text(new_text, encoding="utf-8")
        run("git", "add", "-A", cwd=repo, env=env)
        return run(sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "--all-files", cwd=repo, env=env)

    good = hooks(text)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "filmc validate" in good.stdout and "filmc diff --check" in good.stdout

    reworded = hooks(text.replace("action: looking up at the sky", "action: looking down at the sand"))
    assert reworded.returncode == 1
    assert re.search(r"filmc validate\.+Passed", reworded.stdout) and re.search(r"filmc diff --check\.+Failed",
                                                                                reworded.stdout)
    assert "+" in reworded.stdout and "looking down at the sand" in reworded.stdout  # the diff is shown

    broken = hooks(text.replace("section: chorus1\n    size: WS", "section: chorus\n    size: WS"))
    assert broken.returncode == 1
    assert "film.yaml:" in broken.stdout and "error[V210]" in broken.stdout
