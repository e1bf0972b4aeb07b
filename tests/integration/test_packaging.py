"""A release as a user gets it: the wheel and the sdist built with `python -m build`, the wheel
installed into a fresh virtual environment, and that installation indexing and searching a folder."""

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, env=env, cwd=cwd)
    assert out.returncode == 0, f"{args}\n{out.stdout}\n{out.stderr}"
    return out.stdout


def test_the_wheel_installed_in_a_fresh_venv_indexes_and_searches(tmp_path):
    dist = tmp_path / "dist"
    # the sdist first, then the wheel from the unpacked sdist (what `python -m build` does when asked for
    # both): what a user installs is what the sdist holds. --no-isolation: this environment's setuptools,
    # nothing downloaded; the checkout gains only the egg-info folder that git ignores
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT)
    wheel, = dist.glob("localsearch-*.whl")
    sdist, = dist.glob("localsearch-*.tar.gz")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    assert "localsearch/core/service.py" in names and "localsearch/gui/main_window.py" in names
    assert any(n.endswith("data/share/localsearch/localsearch.svg") for n in names), "the icon ships"
    assert any(n.endswith(".metainfo.xml") for n in names) and any(n.endswith(".desktop") for n in names)
    with tarfile.open(sdist) as t:
        assert any(n.endswith("/pyproject.toml") for n in t.getnames())

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # the dependencies (torch, Qt, ...) come from this test environment, read-only, after the venv's own
    # packages: the fresh venv's localsearch is the wheel's, not this checkout's editable one
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    command = venv / "bin" / "localsearch"
    assert command.is_file(), "the console script is installed"
    home = tmp_path / "home"
    env = {**os.environ, "LOCALSEARCH_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    version = run(command, "--version", env=env)
    assert version.strip().startswith("localsearch 0.")
    where = run(python, "-c", "import localsearch; print(localsearch.__file__)", env=env, cwd=tmp_path)
    assert where.startswith(str(venv)), f"the installed copy answers, not the checkout: {where}"

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lease.txt").write_text("The monthly rent is 950 euros, paid to the landlord on the first day.")
    (docs / "cake.txt").write_text("Chocolate cake: butter, sugar, eggs and dark chocolate, baked for 40 minutes.")
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text(json.dumps({"text_model": "hashing", "ocr": False}))
    run(command, "index", docs, "--collection", "docs", env=env)
    hits = json.loads(run(command, "search", "monthly rent", "--json", env=env))
    assert Path(hits[0]["path"]).name == "lease.txt", hits
