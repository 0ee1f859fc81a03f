"""The developer scripts' own messages and checks (scripts/run, scripts/_common.sh).

Each test copies scripts/ into a temporary folder, so the scripts see a repository without venvs
whatever this machine has set up.
"""

from __future__ import annotations

from pathlib import Path
import shutil
import subprocess

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bare_repo(tmp_path: Path) -> Path:
    """A copy of scripts/ in an otherwise empty repository."""
    shutil.copytree(REPO_ROOT / "scripts", tmp_path / "scripts")
    return tmp_path


def run_script(repo: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(repo), **env}
    return subprocess.run(
        [str(repo / "scripts" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        env=environment,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("venv_option", "hint"),
    [((), "run scripts/setup\n"), (("--hass",), "run scripts/setup --hass\n")],
)
def test_run_names_the_setup_command_for_a_missing_venv(
    bare_repo: Path, venv_option: tuple[str, ...], hint: str
) -> None:
    result = run_script(bare_repo, "run", *venv_option, "true", NUT_UPS_MODE="host")
    assert result.returncode == 1
    assert result.stderr.endswith(hint), result.stderr
