"""Headless-Chromium snapshots of the Prefect UI (a check that a deployment is really shown there).

    python -m tests.support.ui_snapshot http://127.0.0.1:4200/deployments/deployment/<id> shot.png [TEXT …]

The Prefect UI is a single-page app: a plain HTTP GET returns an empty shell, so the page is
rendered by Chromium (``--headless``, JavaScript on, a virtual-time budget long enough for the
app to fetch its data) and both the screenshot and the rendered DOM are taken. Callers assert on
the DOM text (e.g. the deployment's name and its paused / active state).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ingestflow.errors import ProviderUnavailable

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
         "--disable-sync", "--no-first-run", "--mute-audio", "--window-size=1440,1000"]


@dataclass
class Snapshot:
    """A rendered page: its screenshot file and its DOM after scripts ran."""

    png: Path
    dom: str


def find_browser() -> str | None:
    """Path of an installed Chromium, or None."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def snapshot(url: str, png: Path, *, budget_ms: int = 15000, timeout_s: float = 90.0) -> Snapshot:
    """Render ``url`` in headless Chromium; write a PNG screenshot and return it with the DOM."""
    browser = find_browser()
    if browser is None:
        raise ProviderUnavailable("no Chromium found: install the Debian package 'chromium' (scripts/setup.sh does)")
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ingestflow-chromium-") as profile:
        common = [browser, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}"]
        try:
            subprocess.run([*common, f"--screenshot={png}", url], check=True, capture_output=True, timeout=timeout_s)
            dom = subprocess.run([*common, "--dump-dom", url], check=True, capture_output=True, text=True,
                                 timeout=timeout_s).stdout
        except subprocess.TimeoutExpired:
            raise ProviderUnavailable(f"Chromium did not render {url} within {timeout_s:.0f}s") from None
        except subprocess.CalledProcessError as exc:
            raise ProviderUnavailable(f"Chromium failed on {url}: {exc.stderr[-500:]!s}") from None
    return Snapshot(png=png, dom=dom)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    shot = snapshot(argv[0], Path(argv[1]))
    missing = [text for text in argv[2:] if text not in shot.dom]
    print(f"screenshot: {shot.png} ({shot.png.stat().st_size} bytes)")
    if missing:
        print(f"not rendered: {missing}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
