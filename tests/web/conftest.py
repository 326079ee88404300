"""Fixtures of the dashboard's end-to-end tests: a real server and Debian's Chromium.

``server`` starts ``minsec serve`` in a subprocess on a free loopback port (its own
MINSEC_HOME and app state, the store = the shared default-data store) after creating
four users with the ``minsec users add`` CLI: a USA analyst, a USA admin, a JPN
analyst and a USA viewer. ``browser`` is /usr/bin/chromium driven by Playwright; when it
is missing the tests FAIL (not skip) and say how to install it. Screenshots go to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("MINSEC_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
USERS = {
    "us_analyst": ("US", "analyst"),
    "us_admin": ("US", "admin"),
    "jp_analyst": ("JPN", "analyst"),
    "us_viewer": ("US", "viewer"),
}


@dataclass
class Server:
    """The running dashboard: its URL and the users' tokens."""

    url: str
    tokens: dict[str, str]
    home: Path
    log: Path

    def api(self, method: str, path: str, user: str, body: bytes | None = None) -> Any:
        """Call the API directly (for cross-checks); returns the parsed JSON."""
        import json

        req = urllib.request.Request(
            self.url + path,
            data=body,
            method=method,
            headers={
                "Authorization": f"Bearer {self.tokens[user]}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "minsec.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"minsec {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, default_store_path: Path) -> Iterator[Server]:
    """``minsec serve`` on the default data with four users made by ``minsec users add``."""
    home = tmp_path_factory.mktemp("web-home")
    state = home / "app.duckdb"
    env = {**os.environ, "MINSEC_HOME": str(home), "MINSEC_JOB_WORKERS": "1"}
    env.pop("MINSEC_STORE", None)
    env.pop("MINSEC_APP_STATE", None)
    tokens = {}
    for name, (party, role) in USERS.items():
        out = _cli(
            "users", "add", name, "--party", party, "--role", role, "--state", str(state), env=env
        )
        tokens[name] = out.strip().splitlines()[-1].strip()
    port = _free_port()
    log = home / "server.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "minsec.cli",
                "serve",
                "--port",
                str(port),
                "--store",
                str(default_store_path),
                "--state",
                str(state),
                "--no-access-log",
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"minsec serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Server(url, tokens, home, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the dashboard's end-to-end tests need Debian's Chromium. "
            "`make test` installs it (as root), or `apt-get install -y chromium`, or set "
            "MINSEC_CHROMIUM to a Chromium binary.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the playwright package is missing: `.venv/bin/pip install -e '.[dev]'` "
            "(do not run `playwright install`; the tests use Debian's chromium)",
            pytrace=False,
        )
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Session:
    """A signed-in browser tab with everything it received."""

    page: Any
    context: Any
    responses: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def bodies(self) -> list[str]:
        """Text of every response body received so far (then forgets them)."""
        out = []
        for r in self.responses:
            try:
                out.append(r.body().decode("utf-8", "replace"))
            except Exception:  # redirects and aborted requests have no body
                out.append("")
        self.responses.clear()
        return out


def _console(session: Session, msg: Any) -> None:
    """Keep the page's console errors, except Chromium's note on each 4xx/5xx answer."""
    if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
        session.errors.append(msg.text)


_OPEN: list[Session] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    """On a failure, add what each open tab showed: its URL and the text of the page."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for i, s in enumerate(_OPEN):
            try:
                text = s.page.evaluate("document.querySelector('main')?.innerText ?? ''")
                report.sections.append(
                    (f"tab {i}", f"url: {s.page.url}\nerrors: {s.errors}\n{str(text)[:2000]}")
                )
            except Exception as exc:  # a closed tab: say so
                report.sections.append((f"tab {i}", f"not readable: {exc}"))


@pytest.fixture
def open_session(browser: Any, server: Server) -> Iterator[Callable[..., Session]]:
    """Factory: a new tab (viewport), signed in as ``user`` unless ``user`` is None."""
    made: list[Session] = _OPEN
    made.clear()

    def make(user: str | None, viewport: dict[str, int] = DESKTOP) -> Session:
        phone = viewport["width"] < 600
        context = browser.new_context(viewport=viewport, has_touch=phone, is_mobile=phone)
        page = context.new_page()
        page.set_default_timeout(20_000)
        session = Session(page, context)
        # a lambda: Playwright cannot wrap a builtin method (list.append) as a handler
        page.on("response", lambda response: session.responses.append(response))  # noqa: PLW0108
        page.on("pageerror", lambda exc: session.errors.append(str(exc)))
        page.on("console", lambda msg: _console(session, msg))
        page.goto(server.url + "/")
        if user is not None:
            page.fill("#token", server.tokens[user])
            page.click("#login-button")
            page.wait_for_selector("#who:not([hidden])")
        made.append(session)
        return session

    yield make
    for s in made:
        s.context.close()
    made.clear()


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/NAME.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar belongs at the top
    page.screenshot(path=str(path), full_page=True)
    return path


def number(text: str) -> float:
    """The first number in a text like '74.5 %' or '200,253 t'."""
    import re

    m = re.search(r"-?[\d,]*\.?\d+", text)
    assert m, f"no number in {text!r}"
    return float(m.group(0).replace(",", ""))
