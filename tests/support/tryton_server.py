"""A real Tryton server for integration tests, installed apart from the project's own venv.

trytond is a server we talk to over the wire, so it lives in its own virtualenv under
`.cache/tryton/`. A template database (modules activated, a company set on the admin user)
is built once and cached as a file; each test session copies it and starts `trytond` on a
free loopback port. A file lock keeps pytest-xdist workers from building it twice.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx

SERIES = "8.2"
MODULES = ("party", "product", "sale", "account_invoice", "stock", "company", "currency")
REQUIREMENTS = (
    f"trytond>={SERIES},<8.3",
    *(f"trytond-{module.replace('_', '-')}>={SERIES},<8.3" for module in MODULES),
)
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "causeway-admin-Pw1"  # throwaway credential of a loopback test server
DATABASE = "causeway"

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "tryton"
VENV = CACHE / "venv"


class TrytonUnavailable(RuntimeError):
    """trytond could not be installed or started here (no registry, no disk)."""


class TrytonServer(NamedTuple):
    """Where a running test server answers and how to log in."""

    url: str
    database: str
    login: str
    password: str


def _requirements_digest() -> str:
    return hashlib.sha256("\n".join(REQUIREMENTS).encode()).hexdigest()[:12]


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 600) -> None:
    completed = subprocess.run(
        args, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        tail = (completed.stdout + completed.stderr)[-2000:]
        raise TrytonUnavailable(f"{Path(args[0]).name} failed ({completed.returncode}): {tail}")


def ensure_venv() -> Path:
    """The bin folder of a virtualenv holding trytond and the modules, installing once."""
    marker = VENV / f".installed-{_requirements_digest()}"
    with _locked("venv"):
        if not marker.exists():
            if VENV.exists():
                shutil.rmtree(VENV)
            base_python = getattr(sys, "_base_executable", sys.executable)
            _run([base_python, "-m", "venv", str(VENV)])
            _run([str(VENV / "bin" / "pip"), "install", "--quiet", *REQUIREMENTS])
            marker.touch()
    return VENV / "bin"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _write_config(folder: Path, port: int) -> Path:
    config = folder / "trytond.conf"
    config.write_text(
        "[database]\n"
        "uri = sqlite://\n"
        f"path = {folder}\n"
        "[web]\n"
        f"listen = 127.0.0.1:{port}\n"
        "[session]\n"
        # Tests log in many times in a row; the default limit would throttle them.
        "max_attempt = 1000\n"
    )
    return config


def _environment(folder: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRYTON")}
    password_file = folder / "admin-password"
    password_file.write_text(ADMIN_PASSWORD)
    env["TRYTONPASSFILE"] = str(password_file)
    return env


class _Process:
    """A started trytond and a plain JSON-RPC line to it, independent of the connector."""

    def __init__(self, bin_dir: Path, folder: Path, database: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = database
        config = _write_config(folder, self.port)
        self._log = (folder / "trytond.log").open("w")
        self.process = subprocess.Popen(
            [str(bin_dir / "trytond"), "-c", str(config), "-d", database],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=_environment(folder),
            cwd=folder,
        )
        self._auth: str | None = None
        try:
            self._wait_ready(folder)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, folder: Path, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (folder / "trytond.log").read_text()[-2000:]
                raise TrytonUnavailable(f"trytond exited with {self.process.returncode}: {log}")
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.post(
                    f"{self.url}/rpc/",
                    json={"id": 0, "method": "common.server.version", "params": []},
                    timeout=2,
                )
                if answer.status_code == 200:
                    return
            time.sleep(0.1)
        raise TrytonUnavailable(f"trytond did not answer on {self.url} within {timeout} s")

    def call(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call as admin; raises on any error answer."""
        if self._auth is None and method != "common.db.login":
            user_id, session, _ = self.call(
                "common.db.login", ADMIN_LOGIN, {"password": ADMIN_PASSWORD}, "en"
            )
            token = base64.b64encode(f"{ADMIN_LOGIN}:{user_id}:{session}".encode()).decode()
            self._auth = f"Session {token}"
        headers = {"Authorization": self._auth} if self._auth else {}
        answer = httpx.post(
            f"{self.url}/{self.database}/rpc/",
            json={"id": 1, "method": method, "params": list(params)},
            headers=headers,
            timeout=60,
        )
        answer.raise_for_status()
        body = answer.json()
        if "error" in body:
            raise TrytonUnavailable(f"{method} failed: {body['error']}")
        return body["result"]

    def stop(self) -> None:
        """Terminate trytond and wait for it, killing it if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


def _set_up_company(server: _Process) -> None:
    context: dict[str, Any] = {}
    [currency] = server.call(
        "model.currency.currency.create",
        [
            {
                "name": "U.S. Dollar",
                "code": "USD",
                "symbol": "$",
                "digits": 2,
                "rounding": {"__class__": "Decimal", "decimal": "0.01"},
            }
        ],
        context,
    )
    [party] = server.call("model.party.party.create", [{"name": "Causeway Test Co"}], context)
    [company] = server.call(
        "model.company.company.create", [{"party": party, "currency": currency}], context
    )
    [admin] = server.call("model.res.user.search", [["login", "=", ADMIN_LOGIN]], 0, 1, None, {})
    server.call(
        "model.res.user.write",
        [admin],
        {"companies": [["add", [company]]], "company": company},
        context,
    )


def _snapshot(source: Path, target: Path) -> None:
    # trytond keeps SQLite in WAL mode: a plain file copy would miss committed pages.
    target.unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source)) as live,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        live.backup(copy)


def ensure_template() -> Path:
    """The cached template database file, built once per requirement set."""
    template = CACHE / f"template-{SERIES}-{_requirements_digest()}.sqlite"
    bin_dir = ensure_venv()
    with _locked("template"):
        if template.exists():
            return template
        with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
            folder = Path(scratch)
            config = _write_config(folder, _free_port())
            env = _environment(folder)
            (folder / f"{DATABASE}.sqlite").touch()
            admin = str(bin_dir / "trytond-admin")
            _run(
                [admin, "-c", str(config), "-d", DATABASE, "--all", "--email", "admin@example.com"],
                env=env,
            )
            _run(
                [
                    admin,
                    "-c",
                    str(config),
                    "-d",
                    DATABASE,
                    "-u",
                    *MODULES,
                    "--activate-dependencies",
                ],
                env=env,
            )
            server = _Process(bin_dir, folder, DATABASE)
            try:
                _set_up_company(server)
            finally:
                server.stop()
            staged = CACHE / f"{template.name}.partial"
            _snapshot(folder / f"{DATABASE}.sqlite", staged)
            os.replace(staged, template)
    return template


@contextlib.contextmanager
def running_server(folder: Path) -> Iterator[TrytonServer]:
    """Copy the template into `folder`, run trytond on it, and stop it on exit."""
    template = ensure_template()
    shutil.copyfile(template, folder / f"{DATABASE}.sqlite")
    server = _Process(VENV / "bin", folder, DATABASE)
    try:
        yield TrytonServer(server.url, DATABASE, ADMIN_LOGIN, ADMIN_PASSWORD)
    finally:
        server.stop()
