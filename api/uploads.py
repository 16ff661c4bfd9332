"""``POST /connectors/upload`` and ``POST /connectors/file/upload``: uploaded bytes stored safely, then loaded.

Forms of ``/connectors/upload``:

- seed 002 form (a): ``data`` file field(s), no volume → stored in the upload area (``<batch id>/<name>``);
- seed 002 form (b) and MOI's SDK: ``file`` field(s) + ``VolumeID`` + ``meta`` (+ ``dedup``,
  ``file_types``, ``path_regex``) → stored as new files of the volume and loaded by one run-once
  task (``services/volume_imports.py``: dedup, folders, replace);
- MOI's two-step upload: ``VolumeID`` + ``table_config.conn_file_ids`` naming temporary files stored
  before by ``/connectors/file/upload`` (each is copied, so one temporary file can go to several volumes).

``meta`` is a JSON array, one object per file (per conn file id): the SDK's ``filename`` and ``path``
(the name and the folder the user chose; a path that ends with the file name is the file's own path,
one ending in "/" or naming something else is its folder) or the seed's ``file_name``, ``file_size``,
``mime_type``. Nothing stays behind when a request fails: the store never shows a partly written
file, and everything stored by the request is removed on any error.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from ingestflow.catalog import catalog
from ingestflow.connectors.upload import UploadStore, store_from_settings
from ingestflow.errors import NotSupported, PayloadTooLarge, ValidationFailed
from ingestflow.ids import snowflake_id
from ingestflow.limits import MAX_NAME_BYTES
from ingestflow.records import file_type_for
from ingestflow.services import connectors as connector_configs
from ingestflow.services import moi_files, moi_volumes
from ingestflow.services import volume_imports as imports
from ingestflow.settings import get_settings

_CHUNK = 1024 * 1024
MAX_FOLDER_DEPTH = 32


def max_upload_bytes() -> int:
    """INGESTFLOW_MAX_UPLOAD_MB (default 200) in bytes, per file."""
    return int(get_settings().max_upload_mb * 1024 * 1024)


def safe_name(raw: str | None) -> str:
    """The file's base name; rejects empty names, NUL/control characters and ``..``."""
    if raw is None or not str(raw).strip():
        raise ValidationFailed("file name is empty")
    raw = str(raw)
    if any(unicodedata.category(c) == "Cc" for c in raw):
        raise ValidationFailed("file name contains control characters")
    parts = raw.replace("\\", "/").split("/")
    if ".." in (p.strip() for p in parts):
        raise ValidationFailed(f"file name {raw!r} must not contain '..'")
    name = parts[-1].strip()
    if not name or name in (".", ".."):
        raise ValidationFailed(f"file name {raw!r} has no base name")
    name = unicodedata.normalize("NFC", name)  # measured after NFC: normalising can lengthen a name
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise ValidationFailed(f"file name is longer than {MAX_NAME_BYTES} bytes (UTF-8, NFC)")
    return name


def folder_of(path: Any, name: str) -> tuple[str, ...]:
    """The folder a meta ``path`` names for a file called ``name`` ("" and "/" = the root)."""
    if path is None or path == "":
        return ()
    if not isinstance(path, str):
        raise ValidationFailed("meta.path must be a string like 'reports/2024/' or 'reports/2024/a.pdf'")
    text = unicodedata.normalize("NFC", path.replace("\\", "/").strip())
    parts = [p.strip() for p in text.split("/")]
    if ".." in parts:
        raise ValidationFailed(f"meta.path {path!r} must not contain '..'")
    parts = [p for p in parts if p and p != "."]
    if parts and not text.endswith("/") and parts[-1] == name:
        parts = parts[:-1]  # the file's own path
    if len(parts) > MAX_FOLDER_DEPTH:
        raise ValidationFailed(f"meta.path {path!r} is deeper than {MAX_FOLDER_DEPTH} folders")
    return tuple(moi_volumes.check_name(p, "meta.path") for p in parts)


def _json_field(form: FormData, field: str, kinds: tuple[type, ...], example: str) -> Any:
    raw = form.get(field)
    if raw is None or raw == "" or isinstance(raw, UploadFile):
        return None
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{field} must be JSON, e.g. {example}") from None
    if value is not None and not isinstance(value, kinds):
        raise ValidationFailed(f"{field} must be JSON, e.g. {example}")
    return value


def _parse_meta(form: FormData) -> list[dict[str, Any]]:
    meta = _json_field(form, "meta", (list, dict), '[{"filename": "a.pdf", "path": "reports/"}]')
    if meta is None:
        return []
    if isinstance(meta, dict):
        meta = [meta]
    if not all(isinstance(m, dict) for m in meta):
        raise ValidationFailed('meta must be a JSON array of objects like {"filename": "a.pdf", "path": "reports/"}')
    return meta


def _parse_file_types(form: FormData) -> set[int] | None:
    raw = form.get("file_types")
    if raw is None or raw == "" or isinstance(raw, UploadFile):
        return None
    try:
        value = json.loads(raw) if str(raw).lstrip().startswith("[") else [int(p) for p in str(raw).split(",") if p.strip()]
    except ValueError:
        raise ValidationFailed("file_types must be a JSON list of seed file types, e.g. [1, 2, 6]") from None
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValidationFailed("file_types must be a JSON list of seed file types, e.g. [1, 2, 6]")
    return set(value) or None


def _parse_path_regex(form: FormData) -> re.Pattern[str] | None:
    raw = form.get("path_regex")
    if not raw or isinstance(raw, UploadFile):
        return None
    if len(raw) > 1000:
        raise ValidationFailed("path_regex is longer than 1000 characters")
    try:
        return re.compile(raw)
    except re.error as exc:
        raise ValidationFailed(f"path_regex: invalid regular expression: {exc}") from None


def _conn_file_ids(form: FormData) -> list[str]:
    """``table_config.conn_file_ids`` of a volume import; NotSupported for a table import (MOI tables)."""
    config = _json_field(form, "table_config", (dict,), '{"conn_file_ids": ["…"]}')
    if not config:
        return []
    if config.get("new_table") or config.get("table_id") or config.get("create_table") or config.get("existed_table"):
        raise NotSupported("importing files into MOI tables is not supported: this server loads files into "
                           "volumes (give VolumeID and table_config.conn_file_ids only)")
    ids = config.get("conn_file_ids") or []
    if not isinstance(ids, list) or not all(isinstance(i, (str, int)) and not isinstance(i, bool) for i in ids):
        raise ValidationFailed("table_config.conn_file_ids must be a list of conn file ids")
    return [str(i) for i in ids]


def _hashed(upload: UploadFile, name: str, limit: int, digest: Any) -> Iterator[bytes]:
    """An upload's bytes in chunks (read in a worker thread), hashed; PayloadTooLarge once past ``limit``."""
    size = 0
    while chunk := upload.file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"file {name!r} exceeds the upload limit of {limit / (1024 * 1024):g} MB")
        digest.update(chunk)
        yield chunk


async def store_one(store: UploadStore, upload: UploadFile, name: str, uri: str, limit: int) -> tuple[int, str]:
    """Stream one upload into the store at ``uri`` → (size, md5); PayloadTooLarge past ``limit`` (nothing kept)."""
    if upload.size is not None and upload.size > limit:
        raise PayloadTooLarge(f"file {name!r} exceeds the upload limit of {limit / (1024 * 1024):g} MB")
    digest = hashlib.md5()  # noqa: S324 - a content fingerprint, not a security hash
    try:
        size = await run_in_threadpool(store.put, uri, _hashed(upload, name, limit, digest))
    except BaseException:
        _discard(store, [uri])
        raise
    return size, digest.hexdigest()


def _discard(store: UploadStore, uris: list[str]) -> None:
    for uri in uris:
        try:
            store.delete(uri)
        except Exception:  # noqa: BLE001, S110 - best effort: the request's own error is the one to report
            pass


def _check_sizes(uploads: list[UploadFile], names: list[str], meta: list[dict[str, Any]], limit: int) -> None:
    for i, (up, name) in enumerate(zip(uploads, names, strict=True)):
        declared = (meta[i] if i < len(meta) else {}).get("file_size")
        if isinstance(declared, int) and declared > limit:
            raise PayloadTooLarge(f"file {name!r} ({declared} bytes) exceeds the upload limit")
        if up.size is not None and up.size > limit:
            raise PayloadTooLarge(f"file {name!r} exceeds the upload limit of {limit / (1024 * 1024):g} MB")


def _name_of(entry: dict[str, Any], fallback: str | None) -> str:
    return safe_name(entry.get("filename") or entry.get("file_name") or fallback)


async def handle(form: FormData, user: str) -> dict[str, Any]:
    """``/connectors/upload``: form (a) stores ``data`` files; with ``VolumeID`` the files are imported."""
    files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
    data = [f for f in form.getlist("data") if isinstance(f, UploadFile)]
    volume_id = form.get("VolumeID") or form.get("volume_id")
    if str(form.get("unzip_keep_structure") or "").lower() in ("true", "1"):
        raise NotSupported("unzip_keep_structure: archives are not unpacked by this server; upload the files")
    if volume_id and not isinstance(volume_id, UploadFile):
        return await _import(form, str(volume_id).strip(), files or data, user)
    if files:
        raise ValidationFailed("VolumeID: field required with 'file'")
    if not data:
        raise ValidationFailed("field 'file' (with VolumeID and meta) or 'data' is required as a multipart file")
    return await _store_batch(data, _parse_meta(form))


async def _store_batch(uploads: list[UploadFile], meta: list[dict[str, Any]]) -> dict[str, Any]:
    """Form (a): files into the upload area, ``<batch id>/<name>``."""
    limit = max_upload_bytes()
    names = [_name_of(meta[i] if i < len(meta) else {}, up.filename) for i, up in enumerate(uploads)]
    if len(set(names)) < len(names):
        raise ValidationFailed("file names must differ within one upload")
    _check_sizes(uploads, names, meta, limit)
    store, batch = store_from_settings(), snowflake_id()
    stored: list[dict[str, Any]] = []
    try:
        for up, name in zip(uploads, names, strict=True):
            uri = f"{batch}/{name}"
            size = await run_in_threadpool(store.put, uri, _hashed(up, name, limit, hashlib.md5()))  # noqa: S324
            stored.append({"uri": uri, "filename": name, "size": size, "type": int(file_type_for(name))})
        connector = await run_in_threadpool(connector_configs.upload_connector)
        return {"connector_id": connector.id, "files": stored}
    except BaseException:
        _discard(store, [s["uri"] for s in stored])  # inline: this also runs when the request is cancelled
        raise


def _volume(volume_id: str) -> Any:
    with catalog() as c:
        return c.volumes.get(volume_id)


async def _import(form: FormData, volume_id: str, uploads: list[UploadFile], user: str) -> dict[str, Any]:
    """Files (or conn files) into a volume: validated first, stored, then dedup'd and loaded."""
    meta = _parse_meta(form)
    dedup = imports.parse_dedup(_json_field(form, "dedup", (dict,), '{"by": ["name", "md5"], "strategy": "skip"}'))
    file_types, path_regex = _parse_file_types(form), _parse_path_regex(form)
    conn_ids = _conn_file_ids(form)
    if uploads and conn_ids:
        raise ValidationFailed("give files or table_config.conn_file_ids, not both")
    if not uploads and not conn_ids:
        raise ValidationFailed("field 'file' (multipart) or table_config.conn_file_ids is required with VolumeID")
    volume = await run_in_threadpool(_volume, volume_id)
    conns = [await run_in_threadpool(moi_files.conn_file, cid) for cid in conn_ids]
    entries = [meta[i] if i < len(meta) else {} for i in range(len(uploads or conns))]
    names = [_name_of(e, (uploads[i].filename if uploads else conns[i].name)) for i, e in enumerate(entries)]
    folders = [folder_of(e.get("path"), n) if "path" in e or not conns else tuple(p for p in conns[i].path.split("/") if p)
               for i, (e, n) in enumerate(zip(entries, names, strict=True))]
    limit = max_upload_bytes()
    if uploads:
        _check_sizes(uploads, names, meta, limit)
    filtered = [_filtered(n, f, file_types, path_regex) for n, f in zip(names, folders, strict=True)]
    if all(filtered):
        raise ValidationFailed(f"no file matches the request's filters: {filtered[0]}")
    store = store_from_settings()
    stored: list[str] = []
    incoming: list[imports.Incoming] = []
    try:
        for i, (name, folder) in enumerate(zip(names, folders, strict=True)):
            if filtered[i]:
                continue
            uri = f"{snowflake_id()}/{name}"
            digest = hashlib.md5()  # noqa: S324 - MOI's dedup criterion, not a security hash
            if uploads:
                size = await run_in_threadpool(store.put, uri, _hashed(uploads[i], name, limit, digest))
                stored.append(uri)
                incoming.append(imports.Incoming(uri, name, size, digest.hexdigest(), folder))
            else:
                await run_in_threadpool(_copy, store, conns[i].uri, uri)
                stored.append(uri)
                incoming.append(imports.Incoming(uri, name, conns[i].size, conns[i].md5, folder,
                                                 ref_file_id=conns[i].id))
        result = await run_in_threadpool(imports.import_files, volume, incoming, dedup, user)
    except BaseException:
        _discard(store, stored)
        raise
    return _answer(volume, names, filtered, result)


def _copy(store: UploadStore, src: str, dest: str) -> None:
    with store.open(src) as stream:
        store.put(dest, iter(lambda: stream.read(_CHUNK), b""))


def _filtered(name: str, folder: tuple[str, ...], file_types: set[int] | None, regex: re.Pattern[str] | None) -> str:
    """Why ``file_types`` or ``path_regex`` leave the file out ("" when they do not)."""
    if file_types is not None and int(file_type_for(name)) not in file_types:
        return f"{name!r} is of file type {int(file_type_for(name))}, not in file_types {sorted(file_types)}"
    path = "/".join([*folder, name])
    if regex is not None and not regex.search(path):
        return f"{path!r} does not match path_regex {regex.pattern!r}"
    return ""


def _answer(volume: Any, names: list[str], filtered: list[str], result: imports.ImportResult) -> dict[str, Any]:
    """Seed 002's upload answer, one result per file in request order (MOI's fields added)."""
    outcomes = iter(result.outcomes)
    results: list[dict[str, Any]] = []
    for name, why in zip(names, filtered, strict=True):
        if why:
            results.append({"success": False, "file_id": "", "message": f"已过滤：{why}", "file_name": name,
                            "uri": "", "status": "filtered", "volume_id": volume.id})
            continue
        o = next(outcomes)
        uri = o.target.uri if o.status == "replaced" and o.target is not None else o.incoming.uri
        results.append({"success": True, "file_id": o.file_id, "message": o.message, "file_name": name,
                        "uri": "" if o.status == "skipped" else uri, "status": o.status, "task_id": o.task_id,
                        "volume_id": volume.id, "parent_id": o.parent_id, "path": o.path, "size": o.incoming.size,
                        "md5": o.incoming.md5})
    done = [r for r in results if r["success"]]
    all_skipped = all(r["status"] == "skipped" for r in done)
    return {"success": True, "file_id": done[0]["file_id"], "task_id": result.task_id,
            "message": imports.MESSAGES["skipped"] if all_skipped else "文件上传成功", "results": results}


async def handle_conn_files(form: FormData, user: str) -> dict[str, Any]:
    """``/connectors/file/upload``: files into temporary storage → ``conn_file_ids`` (kept
    ``INGESTFLOW_CONN_FILE_TTL_S``), for a later ``/connectors/upload`` with ``table_config.conn_file_ids``."""
    uploads = [f for f in form.getlist("file") if isinstance(f, UploadFile)] or [
        f for f in form.getlist("data") if isinstance(f, UploadFile)]
    if not uploads:
        raise ValidationFailed("field 'file' is required as a multipart file")
    meta = _parse_meta(form)
    entries = [meta[i] if i < len(meta) else {} for i in range(len(uploads))]
    names = [_name_of(e, up.filename) for e, up in zip(entries, uploads, strict=True)]
    paths = ["/".join(folder_of(e.get("path"), n)) for e, n in zip(entries, names, strict=True)]
    limit = max_upload_bytes()
    _check_sizes(uploads, names, meta, limit)
    await run_in_threadpool(moi_files.purge_expired_conn_files)
    store = store_from_settings()
    stored: list[dict[str, Any]] = []
    try:
        for up, name, path in zip(uploads, names, paths, strict=True):
            conn_id, digest = snowflake_id(), hashlib.md5()  # noqa: S324
            uri = f"{conn_id}/{name}"
            size = await run_in_threadpool(store.put, uri, _hashed(up, name, limit, digest))
            stored.append({"conn_file_id": conn_id, "filename": name, "path": path, "size": size,
                           "md5": digest.hexdigest(), "type": int(file_type_for(name)), "uri": uri})
        await run_in_threadpool(_record_conn_files, stored, user)
    except BaseException:
        _discard(store, [s["uri"] for s in stored])
        raise
    return {"conn_file_ids": [s["conn_file_id"] for s in stored],
            "files": [{k: v for k, v in s.items() if k != "uri"} for s in stored]}


def _record_conn_files(stored: list[dict[str, Any]], user: str) -> None:
    with catalog() as c:
        for s in stored:
            c.conn_files.add(s["conn_file_id"], s["filename"], s["path"], s["size"], s["md5"], s["type"], s["uri"],
                             user)


async def import_conn_file(volume_id: str, conn_file_id: str, name: str | None, parent_id: str, dedup_raw: Any,
                           expected_md5: str, user: str) -> imports.Outcome:
    """MOI ``/catalog/file/create`` / ``/catalog/file/upload``: a temporary connector file becomes a file of
    the volume (in folder ``parent_id``), copied, dedup'd and loaded like an upload."""
    dedup = imports.parse_dedup(dedup_raw)
    volume = await run_in_threadpool(_volume, volume_id)
    conn = await run_in_threadpool(moi_files.conn_file, conn_file_id)
    if expected_md5 and expected_md5.strip().lower() != conn.md5:
        raise ValidationFailed(f"hash: {expected_md5!r} is not the MD5 of conn file {conn.id} ({conn.md5})")
    name = safe_name(name or conn.name)
    store, uri = store_from_settings(), f"{snowflake_id()}/{name}"
    try:
        await run_in_threadpool(_copy, store, conn.uri, uri)
        item = imports.Incoming(uri, name, conn.size, conn.md5, (), parent_id=parent_id, ref_file_id=conn.id)
        result = await run_in_threadpool(imports.import_files, volume, [item], dedup, user)
    except BaseException:
        _discard(store, [uri])
        raise
    return result.outcomes[0]
