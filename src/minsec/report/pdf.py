"""Print a briefing's HTML to PDF with headless Chromium.

Chromium renders the page exactly as the print CSS of the briefing asks (A4, page breaks
before the major sections, rows kept whole). It runs with a throw-away profile, no
network services, no sandbox (containers) and a time limit; the briefing is
self-contained, so nothing is fetched.

When no Chromium is installed :class:`ChromiumMissingError` says how to install it
(``apt-get install chromium`` on Debian/Ubuntu) or to skip the PDF with ``--no-pdf``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from minsec.errors import MinsecError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""Executable names searched on ``PATH`` (after ``$MINSEC_CHROMIUM``)."""
DEFAULT_TIMEOUT_S = 180.0


class ChromiumMissingError(MinsecError):
    """No Chromium/Chrome executable was found to print the PDF."""


class PdfError(MinsecError):
    """Chromium ran but did not produce a PDF (or did not finish in time)."""


def find_chromium() -> str | None:
    """Path of the Chromium to use (``None`` when there is none).

    ``$MINSEC_CHROMIUM`` if set, else the first of :data:`CANDIDATES` on ``PATH``.
    """
    env = os.environ.get("MINSEC_CHROMIUM")
    if env:
        return env if Path(env).is_file() else shutil.which(env)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_command(chromium: str, html: Path, pdf: Path, profile: Path) -> list[str]:
    """The command line that prints ``html`` to ``pdf`` (no header/footer, no network)."""
    return [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--mute-audio",
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}",
        html.resolve().as_uri(),
    ]


def html_to_pdf(
    html: Path | str, pdf: Path | str | None = None, *, timeout: float = DEFAULT_TIMEOUT_S
) -> Path:
    """Print ``html`` to ``pdf`` (default: the same name with ``.pdf``) and return its path.

    Raises
    ------
    ChromiumMissingError
        No Chromium is installed (the message says how to install it or use ``--no-pdf``).
    PdfError
        Chromium failed, timed out (``timeout`` seconds) or wrote no valid PDF.
    """
    html = Path(html)
    pdf = Path(pdf) if pdf is not None else html.with_suffix(".pdf")
    chromium = find_chromium()
    if chromium is None:
        raise ChromiumMissingError(
            "printing the PDF needs Chromium, which is not installed: install it "
            "(Debian/Ubuntu: `apt-get install chromium`; or set MINSEC_CHROMIUM to a "
            "Chrome/Chromium executable), or write the HTML only with --no-pdf"
        )
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="minsec-chromium-") as profile:
        cmd = chromium_command(chromium, html, pdf, Path(profile))
        # its own process group, so that a time-out ends Chromium's helper processes too
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise PdfError(
                f"Chromium did not finish printing {html} within {timeout:.0f} s"
            ) from None
    if proc.returncode != 0 or not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
        lines = [line for line in stderr.strip().splitlines() if "dbus" not in line]
        raise PdfError(
            f"Chromium ({chromium}) did not write a PDF of {html} "
            f"(exit code {proc.returncode}): {' '.join(lines[-5:])}"
        )
    return pdf
