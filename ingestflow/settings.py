"""One settings class for the whole project (environment prefix ``INGESTFLOW_``).

Every default works out of the box: data lives under ``./.ingestflow/`` (metadata DB,
Milvus Lite file, Prefect home), the embedding model is the bundled multilingual default.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING_MODEL = "use-multilingual-v3"


class UploadS3Settings(BaseModel):
    """The S3-compatible upload store (``INGESTFLOW_UPLOAD_S3__<FIELD>``); bucket and prefix come from upload_store."""

    endpoint: str = Field("", description="host:port or url; empty for AWS.")
    access_key_id: str = Field("", description="Access key id.")
    access_key_secret: SecretStr = Field(SecretStr(""), description="Secret access key.")
    region: str = Field("us-east-1", description="Region.")
    path_style: bool = Field(True, description="Path-style addressing (MinIO and most on-prem stores).")
    secure: bool = Field(False, description="Use https when the endpoint has no scheme.")


class Settings(BaseSettings):
    """Runtime configuration; override any field with ``INGESTFLOW_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="INGESTFLOW_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Field(Path(".ingestflow"), description="Holds catalog DB, Milvus Lite file, Prefect home, uploads.")
    database_url: str | None = Field(None, description="SQLAlchemy URL of the catalog; default SQLite in data_dir.")
    milvus_uri: str | None = Field(None, description="Milvus URI (http://host:19530) or a Lite file path; default data_dir/milvus.db.")
    milvus_token: SecretStr | None = Field(None, description="Token for a Milvus server (user:password or API key).")
    prefect_home: Path | None = Field(None, description="PREFECT_HOME; default data_dir/prefect.")

    embedding_model: str = Field(DEFAULT_EMBEDDING_MODEL, description="Embedding model: a built-in name, a package that ships a model, or a local path.")
    embedding_batch_size: int = Field(128, ge=1, le=4096, description="Chunks per embedding batch (across files).")
    embedding_threads: int = Field(2, ge=1, le=64, description="CPU threads for the embedding backend.")

    chunk_size: int = Field(256, ge=16, le=8192, description="Target chunk size (tokens of the embedding model, or characters).")
    chunk_overlap: int = Field(32, ge=0, le=4096, description="Overlap between consecutive chunks (same unit).")
    chunk_unit: str = Field("tokens", pattern="^(tokens|chars)$", description="Unit of chunk_size/overlap.")

    parse_workers: int = Field(2, ge=1, le=64, description="Files parsed concurrently by a load flow.")
    parse_group_files: int = Field(8, ge=1, le=1000, description="Small files per parse+split task run (fewer Prefect task runs on many small files).")
    parse_group_bytes: int = Field(2 * 1024 * 1024, ge=0, description="A parse+split group closes at this many source bytes; a file this large is its own task run.")
    parse_nice: int = Field(10, ge=0, le=19, description="Nice increment of parse processes: embedding goes first, parsing (and OCR) takes the spare CPU.")
    parse_timeout_s: float = Field(300.0, gt=0, description="Per-file fetch + parse/OCR time limit (s); the parse process is killed past it.")
    embed_timeout_s: float = Field(300.0, gt=0, description="Time limit (s) of one embedding batch; its files fail past it.")
    file_retries: int = Field(2, ge=0, le=10, description="Retries of a file's transient failures (unreachable source); timeouts and corrupt files fail at once.")
    dependency_timeout_s: int = Field(30, ge=1, le=3600, description="How long (s) one call to Milvus waits on an unreachable server (its retries included) before the call fails as an outage; the run's files stay due for the next run.")
    outage_backoff_s: list[float] = Field(default_factory=lambda: [0.0, 60.0, 300.0, 900.0], description="Between-run back-off (s) of a file an outage left due: after its n-th deferral in a row, runs skip it for the n-th delay (the last repeats); 0 = the next run retries it. POST /task/retry ignores it.")
    run_lease_s: float = Field(30.0, ge=1, le=3600, description="A run's lease on its task (s): renewed every third of it while the run's process lives; past it the run is dead, and the reaper crashes it (Prefect flow run Crashed, slot freed, files due again).")
    reaper_interval_s: float = Field(10.0, gt=0, le=3600, description="How often (s) the API's reaper looks for expired run leases (runs also reap when they start). Dead runs are closed within run_lease_s + reaper_interval_s.")
    retry_backoff_s: list[float] = Field(default_factory=lambda: [2.0, 10.0], description="Delays (s) before each retry.")
    ocr_engine: Literal["rapidocr", "tesseract"] = Field("rapidocr", description="OCR engine for images and scanned PDF pages: rapidocr (PP-OCRv4, Chinese + English; other languages fall back to tesseract) or tesseract.")
    ocr_languages: str = Field("chi_sim+eng", description="OCR languages, tesseract names (rapidocr reads chi_sim and eng).")
    ocr_page_timeout_s: float = Field(120.0, gt=0, description="Per-page OCR time limit (s); a page past it is left out.")
    split_timeout_s: float = Field(10.0, gt=0, le=3600, description="CPU time (s) a task's custom separators (regexes) may take on one file; the file fails past it.")
    soffice_timeout_s: float = Field(120.0, gt=0, description="LibreOffice conversion time limit (s) for .doc/.ppt.")

    work_pool: str = Field("ingestflow", min_length=1, max_length=100, description="Prefect work pool of load tasks and jobs (one per environment sharing a Prefect server).")
    job_timeout_s: float = Field(120.0, gt=0, description="How long the API waits for a job it runs on a worker (a segment write …).")

    timezone: str = Field("UTC", description="Timezone of daily schedules.")
    daily_hour: int = Field(2, ge=0, le=23, description="Hour of day (in ``timezone``) of daily schedules.")

    max_upload_mb: float = Field(200.0, gt=0, description="Size limit of one uploaded file, and of one multipart upload request (+ 1 MiB for its other fields) (MB).")
    max_body_mb: float = Field(4.0, gt=0, description="Size limit of every request body but multipart uploads (JSON …) (MB); checked before the body is read.")
    max_inflated_mb: float = Field(256.0, gt=0, description="Zip-based files (docx/xlsx/pptx/odt/epub …): the most their parts may inflate to, declared and actual (MB); a file over it fails unparsed.")
    max_image_pixels: int = Field(89_478_485, ge=1, description="Largest image (and rendered PDF page) parsed or OCR'd, in pixels (Pillow's decompression-bomb limit); a larger image fails, a larger page is rendered smaller.")
    parse_memory_mb: int = Field(3072, ge=0, description="Address-space ceiling (RLIMIT_AS) of each parse worker and its tesseract/LibreOffice children (MB); 0 = none. A file that needs more fails alone.")
    seed003_max_upload_mb: float = Field(15.0, gt=0, description="Size limit of one file of seed 003's POST /upload-files/file and /upload-files/image (MB).")
    upload_store: str = Field("", description="Where uploads are stored: empty = data_dir/uploads; s3://bucket/prefix = an S3-compatible store (settings upload_s3__*).")

    link_ttl_s: int = Field(3600, ge=1, le=7 * 24 * 3600, description="Lifetime (s) of the signed download/preview links of MOI files.")
    url_signing_key: SecretStr | None = Field(None, description="HMAC key of signed links; default derived from the first API key (every API process of a deployment then agrees).")
    public_url: str = Field("", description="Base URL put into signed links (behind a proxy); default the request's own base URL.")
    conn_file_ttl_s: int = Field(24 * 3600, ge=60, description="How long temporary connector files (POST /connectors/file/upload) are kept.")

    default_tenant_code: str = Field("", description="tenant_code stamped on chunks when a task sets none.")
    default_org_code: str = Field("", description="org_code stamped on chunks when a task sets none.")

    api_keys: list[SecretStr] = Field(default_factory=lambda: [SecretStr("ingestflow-dev-key")], description="Accepted moi-key header values.")
    tenant_api_keys: list[SecretStr] = Field(default_factory=list, description="Tenant-bound moi-keys, each 'key:tenant_code[:org_code]': search and document views only, always filtered to that tenant/org.")

    secret_key: SecretStr | None = Field(None, description="Fernet key(s) encrypting connector secrets in the catalog, comma-separated, newest first; default a key generated once into data_dir/secret.key (0600).")
    seed004_open: bool = Field(False, description="Seed 004's routes (/vector_db_service, /chat_service uploads) accept key-less calls as an admin: only for an internal network.")
    fetch_allow_networks: list[str] = Field(default_factory=list, description="CIDRs URL fetches (seed 004 add_document) may reach besides public addresses, e.g. [\"10.0.0.0/8\"]; default none.")
    fetch_max_mb: float = Field(50.0, gt=0, description="Size limit (MB) of one document fetched by URL.")
    fetch_timeout_s: float = Field(30.0, gt=0, description="Time limit (s) of one URL fetch (connect, redirects and body).")
    seed004_wait_s: float = Field(600.0, gt=0, description="How long seed 004's synchronous calls (add_document …) wait for their Prefect run before answering a timeout (the run goes on).")

    upload_s3: UploadS3Settings = Field(default_factory=UploadS3Settings, description="Endpoint and keys of an s3:// upload_store.")

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def catalog_url(self) -> str:
        return self.database_url or f"sqlite:///{self.resolved_data_dir / 'catalog.db'}"

    @property
    def resolved_milvus_uri(self) -> str:
        return self.milvus_uri or str(self.resolved_data_dir / "milvus.db")

    @property
    def resolved_prefect_home(self) -> Path:
        return (self.prefect_home or self.resolved_data_dir / "prefect").expanduser().resolve()

    @property
    def uploads_dir(self) -> Path:
        return self.resolved_data_dir / "uploads"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()


def prepare_environment(settings: Settings | None = None) -> Settings:
    """Create the data dir and point Prefect/HF at local, offline state.

    Must run before ``prefect`` is imported so PREFECT_HOME takes effect.
    """
    from ingestflow import scrub

    settings = settings or get_settings()
    settings.resolved_data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # catalog, key file, uploads: owner only
    scrub.install(settings)  # every log record of this process is scrubbed of known secrets
    os.environ.setdefault("PREFECT_HOME", str(settings.resolved_prefect_home))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # a fresh PREFECT_HOME runs all database migrations before the ephemeral API answers:
    # Prefect's 20 s default is too short on a busy 2-core machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return settings
