"""Prints a briefing page to PDF with Debian's chromium in headless mode."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from epicontrol.core.errors import EpicontrolError

DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
# Virtual time lets plotly draw every chart before the page is printed, without a fixed sleep:
# chromium fast-forwards timers and prints once the page is idle or the budget is spent.
VIRTUAL_TIME_BUDGET_MS = 15_000
TIMEOUT_SECONDS = 120
PDF_MAGIC = b"%PDF-"


class PdfUnavailable(EpicontrolError):
    """Chromium is missing or could not print the page."""

    status_code = 503


def find_chromium(explicit: Path | None = None) -> Path:
    """The chromium binary: `explicit`, $CHROMIUM, /usr/bin/chromium or one on PATH."""
    if explicit is not None:
        if explicit.is_file() and os.access(explicit, os.X_OK):
            return explicit
        raise PdfUnavailable(f"chromium not found at {explicit}")
    candidates = [Path(os.environ["CHROMIUM"])] if os.environ.get("CHROMIUM") else []
    candidates.append(DEFAULT_CHROMIUM)
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise PdfUnavailable(
        "chromium is needed to print PDF: install Debian's package (apt-get install chromium, "
        "or scripts/ensure-chromium.sh), or write .html and print it from a browser"
    )


def print_pdf(html_file: Path, pdf_file: Path, *, chromium: Path | None = None) -> int:
    """Print `html_file` to `pdf_file` (A4, as its print CSS says); returns the PDF's size."""
    binary = find_chromium(chromium)
    pdf_file = pdf_file.resolve()
    pdf_file.unlink(missing_ok=True)
    # A profile of its own: a chromium already running (a browser test) must not be reused.
    with tempfile.TemporaryDirectory(prefix="epicontrol-chromium-") as profile:
        command = [
            str(binary),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            "--run-all-compositor-stages-before-draw",
            "--no-pdf-header-footer",
            f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
            f"--print-to-pdf={pdf_file}",
            html_file.resolve().as_uri(),
        ]
        try:
            finished = subprocess.run(
                command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(f"chromium did not print within {TIMEOUT_SECONDS} s") from None
    if not pdf_file.is_file() or pdf_file.read_bytes()[: len(PDF_MAGIC)] != PDF_MAGIC:
        tail = finished.stderr.decode(errors="replace")[-800:]
        raise PdfUnavailable(f"chromium wrote no PDF (exit {finished.returncode}): {tail}")
    return pdf_file.stat().st_size
