"""Without durable_rules (as on Python 3.13+) the live commands say so and exit 8; the rest works.

The missing module is simulated in a subprocess by an import hook that refuses ``durable`` and
``durable_rules_engine`` (what a Python without the package does); nothing of Sunlight is mocked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BLOCK = textwrap.dedent("""
    import importlib.abc, sys
    class _NoDurable(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name in ("durable", "durable_rules_engine") or name.startswith("durable."):
                raise ImportError(f"No module named {name!r}")
    sys.meta_path.insert(0, _NoDurable())
""")


def _run(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = BLOCK + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "")})


@pytest.fixture()
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text('{"case_id": "C1", "activity": "ACCEPT", "ts": "2026-03-02T09:00:00"}\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("argv", [
    ["replay", "events.jsonl", "--until", "2026-03-10"],
    ["watch", "--db", "live.duckdb", "--once", "--no-stdin"],
], ids=["replay", "watch"])
def test_live_commands_explain_the_missing_engine(argv: list[str], events: Path, tmp_path: Path) -> None:
    result = _run(f"""
        from sunlight.cli import main
        main({argv!r})
    """, tmp_path)
    assert result.returncode == 8, result.stderr
    assert "实时引擎" in result.stderr and "durable_rules" in result.stderr
    assert "not installed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "live.duckdb").exists()


def test_newer_python_is_named_in_the_message(events: Path, tmp_path: Path) -> None:
    # Everything the command imports is loaded first; only then does the interpreter report 3.13,
    # as a Python 3.13 without durable_rules would when the command runs.
    result = _run("""
        import sunlight.cli, audit.live.cli, sunlight.config
        sys.version_info = (3, 13, 1, "final", 0)
        sunlight.cli.main(["replay", "events.jsonl", "--until", "2026-03-10"])
    """, tmp_path)
    assert result.returncode == 8, result.stderr
    assert "只支持 Python 3.12 及以下，当前是 Python 3.13" in result.stderr
    assert "every other command works" in result.stderr


def test_other_commands_and_imports_still_work(tmp_path: Path) -> None:
    result = _run("""
        import audit.live, audit.live.cli, audit.live.engine, audit.live.compile, audit.live.watch
        from audit.live.compile import ReteTarget
        from audit.rules import default_rules_dir, load_pack
        pack = ReteTarget().compile_pack(load_pack(default_rules_dir()))
        print("rulesets", len(pack.rulesets()["sunlight"]))
        from sunlight.cli import main
        main(["calendar", "template", "2030"])
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rulesets" in result.stdout and "2030-01-01" in result.stdout


def _python313() -> tuple[str, dict[str, str]] | None:
    """A Python 3.13 interpreter on this machine, if any (through pyenv when it manages one)."""
    exe = shutil.which("python3.13")
    if exe is None:
        return None
    env = {"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "")}
    if shutil.which("pyenv"):
        found = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True, timeout=60)
        versions = [v for v in found.stdout.split() if v.startswith("3.13")]
        if versions:
            env["PYENV_VERSION"] = versions[0]
    return exe, env


@pytest.mark.skipif(shutil.which("python3.13") is None, reason="no Python 3.13 interpreter here")
def test_a_real_python_313_gets_the_message(tmp_path: Path) -> None:
    """``audit.live`` needs only the standard library to explain itself, so a bare 3.13 can run it."""
    found = _python313()
    assert found is not None
    exe, env = found
    script = ("from audit.live import require_durable\n"
              "from sunlight.errors import LiveEngineUnavailable\n"
              "try:\n    require_durable()\nexcept LiveEngineUnavailable as exc:\n"
              "    print(exc.exit_code, exc.describe())\n")
    result = subprocess.run([exe, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    if result.returncode != 0 or not result.stdout:
        pytest.skip(f"python3.13 did not run: {result.stderr[:200]}")
    assert result.stdout.startswith("8 ")
    assert "当前是 Python 3.13" in result.stdout
