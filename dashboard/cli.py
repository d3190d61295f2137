"""``sunlight dashboard``: serve the dashboard; ``sunlight dashboard user add``: manage logins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from dashboard import auth
from dashboard.config import ENV_DB, ENV_TIMEZONE, ENV_USERS, ENV_WARM
from dashboard.viewer import Role
from sunlight.config import Settings, load_settings
from sunlight.errors import ConfigError

APP = Path(__file__).resolve().parent / "app.py"


def streamlit_command(db: Path, *, port: int, address: str, users: Path | None) -> list[str]:
    """The ``streamlit run`` command line for the dashboard."""
    args = [sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.port", str(port), "--server.address", address, "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--client.toolbarMode", "minimal", "--", "--db", str(db)]
    if users is not None:
        args += ["--users", str(users)]
    return args


@click.group(invoke_without_command=True)
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              help="The DuckDB database to show (required to serve).")
@click.option("--port", type=int, default=8501, show_default=True, help="Port to listen on.")
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface; put it behind HTTPS).")
@click.option("--users", "users_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Users file (TOML). Default: users_file in sunlight.toml. Without it only the public page runs.")
@click.pass_context
def dashboard(ctx: click.Context, db_path: Path | None, port: int, address: str, users_path: Path | None) -> None:
    """Serve the dashboard (inspectors, department heads, the public).

    \b
      sunlight dashboard --db sunlight.duckdb --users users.toml
      sunlight dashboard user add --users users.toml wang --role inspector --name 王监察
    """
    if ctx.invoked_subcommand is not None:
        return
    if db_path is None:
        raise click.UsageError("--db is required to serve the dashboard")
    if not db_path.exists():
        raise ConfigError(f"database not found: {db_path}",
                          hint="run `sunlight ingest ... --db FILE` and `sunlight audit --db FILE` first")
    settings = ctx.obj if isinstance(ctx.obj, Settings) else load_settings()
    users = users_path or settings.users_file
    if users is not None:
        auth.load_users(users)  # fail now, with the file and line, not at the first login
    env = {**os.environ, ENV_DB: str(db_path.resolve()), ENV_TIMEZONE: settings.timezone, ENV_WARM: "1"}
    if users is not None:
        env[ENV_USERS] = str(Path(users).resolve())
    else:
        env.pop(ENV_USERS, None)
        click.echo("未提供用户文件：只提供公众公示页面（--users 指定用户文件后可登录）。", err=True)
    click.echo(f"阳光监察看板：http://{address}:{port}/", err=True)
    code = subprocess.call(streamlit_command(db_path.resolve(), port=port, address=address,
                                             users=Path(users).resolve() if users else None), env=env)
    ctx.exit(code)


@dashboard.group()
def user() -> None:
    """Manage dashboard logins (a TOML file of users and scrypt password hashes)."""


@user.command("add")
@click.option("--users", "users_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Users file (created if missing).")
@click.argument("login")
@click.option("--role", type=click.Choice(["inspector", "department"]), required=True)
@click.option("--dept", "dept_code", default=None, help="Department code (department heads only).")
@click.option("--name", default=None, help="Display name, e.g. 王监察.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_add(users_path: Path, login: str, role: str, dept_code: str | None, name: str | None,
             password_stdin: bool) -> None:
    """Add LOGIN to the users file, or replace its role and password."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="password")
    try:
        added = auth.add_user(users_path, login, role=Role(role), password=password, name=name, dept_code=dept_code)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--dept") from exc
    click.echo(f"{users_path}: {added.login} ({added.role}{', ' + added.dept_code if added.dept_code else ''})")


@user.command("list")
@click.option("--users", "users_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
def user_list(users_path: Path) -> None:
    """List the logins in the users file (never the hashes)."""
    for found in auth.load_users(users_path).values():
        click.echo(f"{found.login}\t{found.role}\t{found.dept_code or ''}\t{found.name}")
