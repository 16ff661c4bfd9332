"""What the benchmarks share: an isolated data dir on the embedded defaults, a warmed-up flow, the machine."""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks run as scripts from the checkout (tests.support lives there)
    sys.path.insert(0, str(ROOT))


def isolated_workdir(prefix: str) -> Path:
    """A fresh temp dir holding this run's data dir and Prefect home; the environment points at it."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["INGESTFLOW_DATA_DIR"] = str(work / "data")
    os.environ["PREFECT_HOME"] = str(work / "prefect")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from ingestflow.settings import prepare_environment

    prepare_environment()
    return work


def warm_up(work: Path, volume: str) -> None:
    """One tiny load, so Prefect's ephemeral API and the model start outside the timings."""
    from ingestflow.flows.load import load_task
    from ingestflow.services.local import ensure_local_task

    warm = work / "warm"
    warm.mkdir(exist_ok=True)
    (warm / "w.txt").write_text("warm up 预热", encoding="utf-8")
    load_task(ensure_local_task(warm, volume))


def machine() -> str:
    """The machine, for the results file."""
    return f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"


def write_results(path: str | Path, result: dict) -> None:
    """Write a results file and echo it."""
    text = json.dumps(result, indent=2, ensure_ascii=False)
    Path(path).write_text(text + "\n", encoding="utf-8")
    print(text)
