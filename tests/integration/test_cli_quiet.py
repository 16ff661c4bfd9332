"""``ingestflow load samples`` on a fresh data dir: no third-party warnings or bars, 80 columns."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOISE = re.compile(r"warning|deprecat|it/s|s/it|\d+%\||Loading weights|Traceback", re.IGNORECASE)


def _cli(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    # the environment of scripts/demo.sh: none of the test session's settings (its Milvus server,
    # Prefect home), so the CLI opens its own Milvus Lite file the way a new user's run does
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INGESTFLOW_", "PREFECT_")) and k not in ("PYTHONWARNINGS", "COLUMNS")}
    env.update(INGESTFLOW_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", PREFECT_LOGGING_LEVEL="WARNING")
    return subprocess.run([sys.executable, "-m", "ingestflow.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_load_on_samples_prints_no_noise_and_fits_80_columns(tmp_path) -> None:
    done = _cli(["load", "samples", "--volume", "demo"], tmp_path / "data")
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout + done.stderr
    assert "files_succeeded" in done.stdout and "→ volume 'demo'" in done.stdout
    noisy = [line for line in out.splitlines() if NOISE.search(line)]
    assert noisy == [], f"third-party noise on a normal load: {noisy[:5]}"
    wide = [line for line in out.splitlines() if len(line) > 80]
    assert wide == [], f"lines wider than 80 columns: {wide[:3]}"
    title = [line for line in done.stdout.splitlines() if "load task" in line]
    assert len(title) == 1 and "volume 'demo'" in title[0], "the summary title should be one line"
