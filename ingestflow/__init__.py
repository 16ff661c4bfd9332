"""ingestflow: connectors → Prefect flows → parse/OCR/chunk/embed → Milvus, with a thin API."""

__version__ = "0.1.0"

import os as _os

# Idle OpenBLAS threads spin for ~2^28 cycles by default, burning the cores that parse
# processes need between embedding batches; the shortest spin measured 20-30 % less CPU
# per embedded chunk here at the same or better speed. Must be set before numpy loads.
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
