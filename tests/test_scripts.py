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


def common(script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in bash after sourcing scripts/_common.sh."""
    return subprocess.run(
        ["bash", "-c", f'source "$0"; set +e; {script}', str(REPO_ROOT / "scripts" / "_common.sh")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("version", "meets"),
    [
        ("3.14.8-1", True),
        ("3.14.2", True),
        ("3.14.1-1", False),
        ("3.14.0~rc3-1", False),
        ("3.15.0-1", False),
        ("3.13.9", False),
        ("", False),
    ],
)
def test_python_pin(version: str, meets: bool) -> None:
    result = common(f'python_misses_pin "{version}"')
    assert (result.returncode != 0) is meets, result.stdout
    if not meets:
        assert "misses the pin: Python 3.14.x >= 3.14.2" in result.stdout


@pytest.mark.parametrize(
    ("version", "meets"),
    [
        ("2.8.5-1", True),
        ("2.8.0-1", True),
        ("1:2.8.5-2+b1", True),
        ("2.8.10", True),
        ("2.7.4-13", False),
        ("2.9.0-1", False),
        ("", False),
    ],
)
def test_nut_pin(version: str, meets: bool) -> None:
    result = common(f'nut_misses_pin "{version}"')
    assert (result.returncode != 0) is meets, result.stdout


DPKG_STATUS = "".join(
    f"Package: {name}\nStatus: install ok installed\nVersion: {version}\n\n"
    for name, version in {
        "python3.14": "3.14.8-1",
        "python3.14-venv": "3.14.8-1",
        "python3.14-dev": "3.14.8-1",
        "g++": "4:15.2.0-4",
        "nut-server": "2.8.5-1",
        "nut-client": "2.8.5-1",
        "libnss3-tools": "2:3.117-1",
        "ca-certificates": "20250419",
        "curl": "8.17.0-3",
        "git": "1:2.51.0-1",
        "procps": "2:4.0.4-9",
        "iproute2": "6.17.0-1",
    }.items()
)


def fake_root(tmp_path: Path, status: str, python: bool = True) -> Path:
    """A directory with a dpkg status file and, optionally, /usr/bin/python3.14."""
    (tmp_path / "var" / "lib" / "dpkg").mkdir(parents=True)
    (tmp_path / "var" / "lib" / "dpkg" / "status").write_text(status)
    (tmp_path / "usr" / "bin").mkdir(parents=True)
    if python:
        binary = tmp_path / "usr" / "bin" / "python3.14"
        binary.write_text("")
        binary.chmod(0o755)
    return tmp_path


def test_rootfs_meeting_the_pins_is_kept(tmp_path: Path) -> None:
    result = common(f'rootfs_pins "{fake_root(tmp_path, DPKG_STATUS)}"')
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (
            (
                "nut-server\nStatus: install ok installed\nVersion: 2.8.5-1",
                "nut-server\nStatus: install ok installed\nVersion: 2.9.0-1",
            ),
            "package nut-server 2.9.0-1: NUT 2.9.0 misses the pin: NUT >= 2.8.0 and < 2.9.0",
        ),
        (
            (
                "python3.14\nStatus: install ok installed\nVersion: 3.14.8-1",
                "python3.14\nStatus: install ok installed\nVersion: 3.14.1-1",
            ),
            "package python3.14 3.14.1-1: Python 3.14.1 misses the pin",
        ),
        (
            (
                "python3.14-venv\nStatus: install ok installed",
                "python3.14-venv\nStatus: deinstall ok config-files",
            ),
            "package python3.14-venv is not installed",
        ),
    ],
)
def test_rootfs_missing_a_pin_says_why_in_one_line(
    tmp_path: Path, change: tuple[str, str], why: str
) -> None:
    status = DPKG_STATUS.replace(*change)
    assert status != DPKG_STATUS
    result = common(f'rootfs_pins "{fake_root(tmp_path, status)}"')
    assert result.returncode == 1
    assert result.stdout.count("\n") == 1 and result.stdout.startswith(why), result.stdout


def test_rootfs_without_the_python_binary(tmp_path: Path) -> None:
    result = common(f'rootfs_pins "{fake_root(tmp_path, DPKG_STATUS, python=False)}"')
    assert (result.returncode, result.stdout) == (1, "no /usr/bin/python3.14\n")
