"""The wheel is the product: built from the repo, installed into a new venv, run from outside the checkout.

The new venv borrows the test venv's third-party packages (a ``.pth`` line; a full install would
download ≈ 3 GB) but gets ingestflow only from the wheel, and every command runs in a temp
directory, so nothing can come from the checkout. A Prefect worker started from that venv runs
the deployment the API created for a load task.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

from tests.support.api import KEY, ok_data
from tests.support.stack import base_env, milvus_server, prefect_worker

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> Path:
    """The wheel ``pip wheel --no-deps .`` builds from the repo."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp),
                    str(ROOT)], check=True, cwd=tmp, stdout=subprocess.DEVNULL)
    return next(tmp.glob("ingestflow-*.whl"))


@pytest.fixture(scope="module")
def wheel_venv(built_wheel, tmp_path_factory) -> Path:
    """A new venv with ingestflow installed from the wheel (third-party packages borrowed)."""
    tmp = tmp_path_factory.mktemp("venv")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check",
                    str(built_wheel)], check=True, cwd=tmp, stdout=subprocess.DEVNULL)
    return venv


def test_the_wheel_has_one_top_level_package(built_wheel) -> None:
    names = zipfile.ZipFile(built_wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"ingestflow"}
    for part in ("connectors/s3.py", "indexers/search.py", "flows/load.py", "api/main.py",
                 "catalog/migrations/versions/0001_baseline.py", "catalog/migrations/script.py.mako"):
        assert f"ingestflow/{part}" in names


def test_load_and_search_run_from_the_wheel_outside_the_checkout(wheel_venv, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INGESTFLOW_", "PREFECT_"))}
    env.update(INGESTFLOW_DATA_DIR=str(tmp_path / "data"), HF_HUB_OFFLINE="1", PREFECT_LOGGING_LEVEL="WARNING")
    where = subprocess.run([str(wheel_venv / "bin" / "python"), "-c",
                            "import ingestflow.flows.load as m, ingestflow.api.main as a; print(m.__file__, a.__file__)"],
                           cwd=tmp_path, env=env, check=True, capture_output=True, text=True).stdout.split()
    assert all(str(wheel_venv) in path for path in where), where
    cli = str(wheel_venv / "bin" / "ingestflow")
    loaded = subprocess.run([cli, "load", str(ROOT / "samples"), "--volume", "wheel", "--json"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    summary = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert summary["files_succeeded"] == 8 and summary["files_failed"] == 0
    found = subprocess.run([cli, "search", "大熊猫每天吃多少竹子", "--volume", "wheel", "--json", "-k", "1"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)[0]["document"]["uri"].endswith(".pdf")


def test_a_worker_from_the_wheel_runs_a_deployment_the_api_created(wheel_venv, prefect_server, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from ingestflow.api.main import create_app
    from ingestflow.settings import reset_settings

    data = tmp_path / "data"
    data.mkdir()
    src = tmp_path / "src"
    src.mkdir()
    (src / "note.txt").write_text("a note the wheel's worker loads\n", encoding="utf-8")
    with milvus_server(data / "milvus.db") as milvus:
        env = base_env(data, INGESTFLOW_MILVUS_URI=milvus, PATH=f"{wheel_venv / 'bin'}:{os.environ['PATH']}")
        saved = {k: os.environ.get(k) for k in ("INGESTFLOW_DATA_DIR", "INGESTFLOW_MILVUS_URI", "INGESTFLOW_WORK_POOL")}
        os.environ.update(INGESTFLOW_DATA_DIR=str(data), INGESTFLOW_MILVUS_URI=milvus,
                          INGESTFLOW_WORK_POOL=env["INGESTFLOW_WORK_POOL"])  # the API in this process and the worker
        reset_settings()
        try:
            with prefect_worker(env, name="wheel-worker", python=str(wheel_venv / "bin" / "python"), cwd=str(tmp_path)), \
                    TestClient(create_app(), headers={"moi-key": KEY}) as api:
                cid = ok_data(api.post("/connectors", json={"name": "wheel-src", "source_type": 6,
                                                            "local": {"root": str(src)}}))["id"]
                vid = ok_data(api.post("/volumes", json={"name": "wheel-vol"}))["volume_id"]
                tid = ok_data(api.post("/task", json={
                    "source_connector_id": cid, "volume_id": vid, "config_type": 1,
                    "source_config": {"common_file_task_config": {"load_mode_config": {"load_interval_type": 4},
                                                                  "uris": []}}}))["task_id"]
                deadline = time.monotonic() + 240
                while ok_data(api.get("/task/get", params={"task_id": tid}))["task"]["status"] != 4:
                    assert time.monotonic() < deadline, "the wheel's worker did not complete the task"
                    time.sleep(2)
                files = ok_data(api.get("/task/files", params={"task_id": tid}))
                assert files["total_success"] == 1
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            reset_settings()
