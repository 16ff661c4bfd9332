#!/usr/bin/env bash
# Set up (idempotent), load the bundled bilingual sample corpus on the embedded defaults
# (Prefect ephemeral API, Milvus Lite file, SQLite catalog under ./.ingestflow) and search it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 PREFECT_LOGGING_LEVEL=${PREFECT_LOGGING_LEVEL:-WARNING}
.venv/bin/ingestflow load samples --volume demo
.venv/bin/ingestflow search "大熊猫每天吃多少竹子" --volume demo -k 3
.venv/bin/ingestflow search "how many days of paid annual leave" --volume demo --mode semantic -k 3
.venv/bin/ingestflow search "XK-2049" --volume demo --mode full_text -k 1
