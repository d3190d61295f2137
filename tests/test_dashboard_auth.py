"""Dashboard users: scrypt hashes, the users file, `sunlight dashboard user add`, the serve command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import auth
from dashboard.cli import streamlit_command
from dashboard.viewer import Role, Viewer
from sunlight.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def sunlight(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sunlight", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_hash_and_verify() -> None:
    encoded = auth.hash_password("s3cret-密码")
    assert encoded.startswith("scrypt$16384$8$1$") and "s3cret" not in encoded
    assert auth.verify_password("s3cret-密码", encoded)
    assert not auth.verify_password("s3cret", encoded)
    assert auth.hash_password("same") != auth.hash_password("same")  # salted
    assert not auth.verify_password("x", "md5$abc")


def test_add_and_authenticate(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    auth.add_user(path, "wang", role=Role.INSPECTOR, password="pw-inspector", name="王监察")
    auth.add_user(path, "li", role=Role.DEPARTMENT, password="pw-head-01", name="李科长", dept_code="D01")
    users = auth.load_users(path)
    assert auth.authenticate(users, "wang", "pw-inspector").viewer() == Viewer(  # type: ignore[union-attr]
        Role.INSPECTOR, user="wang", display_name="王监察")
    assert auth.authenticate(users, "li", "pw-head-01").viewer().dept_code == "D01"  # type: ignore[union-attr]
    assert auth.authenticate(users, "li", "wrong") is None
    assert auth.authenticate(users, "nobody", "pw-head-01") is None
    auth.add_user(path, "li", role=Role.DEPARTMENT, password="new-password", dept_code="D02")  # replaced
    users = auth.load_users(path)
    assert len(users) == 2 and users["li"].dept_code == "D02"


@pytest.mark.parametrize(("text", "message"), [
    ('[users.a]\nrole = "inspector"\npassword_hash = "plain"\n', "scrypt"),
    ('[users.a]\nrole = "boss"\npassword_hash = "scrypt$1"\n', "role must be"),
    ('[users.a]\nrole = "department"\npassword_hash = "scrypt$1"\n', "dept_code is required"),
    ('[users.a]\nrole = "public"\npassword_hash = "scrypt$1"\n', "needs no account"),
    ('[users.a]\nrole = "inspector"\npassword_hash = "scrypt$1"\nadmin = true\n', "unknown key"),
    ('[people]\n', "unknown section"),
    ('[users.a\n', "not valid TOML"),
], ids=["plain", "role", "dept", "public", "extra", "section", "toml"])
def test_bad_users_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "users.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        auth.load_users(path)


def test_example_users_file_loads() -> None:
    users = auth.load_users(ROOT / "dashboard" / "users.example.toml")
    assert {u.role for u in users.values()} == {Role.INSPECTOR, Role.DEPARTMENT}


def test_cli_user_add_and_list(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    done = sunlight("dashboard", "user", "add", "--users", str(path), "zhao", "--role", "department",
                    "--dept", "D03", "--name", "赵科长", "--password-stdin", stdin="a-long-password\n")
    assert done.returncode == 0, done.stderr
    assert auth.verify_password("a-long-password", auth.load_users(path)["zhao"].password_hash)
    listed = sunlight("dashboard", "user", "list", "--users", str(path))
    assert "zhao\tdepartment\tD03\t赵科长" in listed.stdout and "scrypt" not in listed.stdout
    short = sunlight("dashboard", "user", "add", "--users", str(path), "x", "--role", "inspector",
                     "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "8 characters" in short.stderr
    no_dept = sunlight("dashboard", "user", "add", "--users", str(path), "y", "--role", "department",
                       "--password-stdin", stdin="a-long-password\n")
    assert no_dept.returncode == 2


def test_serve_needs_an_existing_database(tmp_path: Path) -> None:
    done = sunlight("dashboard", "--db", str(tmp_path / "missing.duckdb"))
    assert done.returncode == 2 and "database not found" in done.stderr
    assert sunlight("dashboard").returncode == 2


def test_streamlit_command_passes_the_database() -> None:
    command = streamlit_command(Path("/data/s.duckdb"), port=8600, address="127.0.0.1", users=Path("/data/u.toml"))
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4].endswith("dashboard/app.py")
    assert command[command.index("--server.port") + 1] == "8600"
    assert command[-4:] == ["--db", "/data/s.duckdb", "--users", "/data/u.toml"]
