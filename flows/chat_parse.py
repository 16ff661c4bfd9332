"""Seed 004 ``/chat_service/upload_and_parse``: parse uploaded files on a worker and hand the text back.

Parsing (and OCR) runs here, on a Prefect worker, in the killable parse pool with a per-file time
limit — the same parsers as every load — never in the web process. The texts go back through the
upload store: a JSON file at ``result_uri`` (``[{uri, content, parse_success, parse_error}]``) that the
API reads once the run has completed (``orchestration.jobs`` waits for it).
"""

from __future__ import annotations

import json
from typing import Any

from prefect import flow
from prefect.states import Completed, Failed

from ingestflow.connectors.upload import store_from_settings
from ingestflow.errors import IngestError
from ingestflow.flows.parse_pool import ParseJob, parse_pool
from ingestflow.flows.segments import error_message
from ingestflow.settings import get_settings


def _run_name() -> str:
    from prefect.runtime import flow_run

    files = flow_run.parameters.get("files") or []
    first = files[0][1] if files else ""
    return f"seed004 upload_and_parse · {first}" + (f" (+{len(files) - 1})" if len(files) > 1 else "")


@flow(name="ingestflow-chat-parse", flow_run_name=_run_name, log_prints=False)
def parse_uploads(files: list[list[str]], result_uri: str, timeout_s: float | None = None) -> Any:
    """Parse each ``[uri, name]`` of the upload store; write the outcomes as JSON to ``result_uri``."""
    settings = get_settings()
    limit = float(timeout_s or settings.parse_timeout_s)
    outcomes: list[dict[str, Any]] = []
    try:
        pool = parse_pool(min(settings.parse_workers, max(1, len(files))), settings.parse_nice)
        for uri, name in files:
            try:
                sections, _size, _version = pool.run(
                    ParseJob("upload", {}, uri=uri, name=name, ocr_languages=settings.ocr_languages), timeout_s=limit)
                text = "\n\n".join(s.text for s in sections if s.text.strip())
                outcomes.append({"uri": uri, "content": text, "parse_success": bool(text.strip()),
                                 "parse_error": "" if text.strip() else "解析失败: 文件中没有可提取的文本"})
            except IngestError as exc:
                outcomes.append({"uri": uri, "content": "", "parse_success": False,
                                 "parse_error": f"解析失败: {exc.message}"})
        body = json.dumps(outcomes, ensure_ascii=False).encode("utf-8")
        store_from_settings().put(result_uri, [body])
    except IngestError as exc:
        return Failed(message=error_message(exc))
    return Completed(message=f"{sum(o['parse_success'] for o in outcomes)}/{len(files)} parsed")
