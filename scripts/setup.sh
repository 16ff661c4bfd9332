#!/usr/bin/env bash
# Install everything ingestflow needs on a fresh Debian machine: system packages (as root),
# a Python 3.11 virtualenv in .venv, CPU-only torch, the project with its dev extras.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng poppler-utils libmagic1 mariadb-server fonts-wqy-zenhei fonts-noto-cjk fonts-arphic-uming fonts-dejavu-core fonts-liberation2 chromium libreoffice-writer-nogui libreoffice-impress-nogui"
if command -v apt-get >/dev/null 2>&1; then
  missing=$(for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "==> apt-get install $missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "ingestflow needs Python 3.11"'
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=".venv/bin/pip --disable-pip-version-check -q"
$PIP install -U "pip>=24" wheel

# CPU-only torch first: otherwise sentence-transformers pulls several GB of CUDA packages.
if ! .venv/bin/python -c 'import torch' >/dev/null 2>&1; then
  if ls /opt/wheels/torch-2.13.0* >/dev/null 2>&1; then
    $PIP install torch==2.13.0
  else
    $PIP install torch --index-url https://download.pytorch.org/whl/cpu
  fi
fi
$PIP install -e ".[dev]"
# unstructured's PDF path imports unstructured_inference even for strategy "fast"; its declared
# dependencies (timm, torchvision, opencv-python with GUI) are only for hi_res, so skip them.
$PIP install --no-deps "unstructured-inference==1.6.14"
echo "==> ingestflow installed in .venv ($(.venv/bin/python -c 'import ingestflow; print(ingestflow.__version__)'))"
