"""Secrets: header-bound keys validated, known values scrubbed everywhere, connector configs encrypted at rest."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from ingestflow import crypto, scrub
from ingestflow.errors import ProviderError, ValidationFailed

NON_ASCII_KEY = "dataset-kéy-PLANTED-7c1d"
LEGACY = Path(__file__).resolve().parents[1] / "support" / "data" / "catalog-0.1.0.db"


@pytest.mark.parametrize(("source_type", "config", "field"), [
    (1, {"api_url": "http://127.0.0.1:1/v1", "api_key": NON_ASCII_KEY}, "dify.api_key"),
    (1, {"api_url": "http://127.0.0.1:1/v1", "api_key": "dataset-a\nb-PLANTED"}, "dify.api_key"),
    (5, {"access_key_id": "AKIA-ключ-PLANTED", "access_key_secret": "s", "bucket_name": "b"}, "s3.access_key_id"),
])
def test_header_bound_credentials_must_be_printable_ascii(source_type, config, field) -> None:
    from ingestflow.connectors import parse_config

    with pytest.raises(ValidationFailed) as err:
        parse_config(source_type, config)
    assert field in err.value.message and "ASCII" in err.value.message
    assert "PLANTED" not in err.value.message


def test_scrub_masks_every_form_of_a_known_secret() -> None:
    secret = "zq-PLANTED-\u200bsecret"  # a zero-width space: repr() escapes it
    scrub.remember(secret)
    for shown in (secret, repr(secret), f"Bearer {secret}", secret.encode("unicode_escape").decode()):
        assert "PLANTED" not in scrub.scrub(f"failed: {shown} !")
    assert scrub.scrub("nothing secret here") == "nothing secret here"


def test_an_exception_carrying_a_secret_leaves_a_wrapped_function_scrubbed() -> None:
    scrub.remember(NON_ASCII_KEY)

    @scrub.scrubbed
    def build_client() -> None:
        f"Bearer {NON_ASCII_KEY}".encode("ascii")  # what httpx does with a header value

    with pytest.raises(RuntimeError) as err:
        build_client()
    shown = scrub._shown(err.value)  # reprs, chain and traceback: what Prefect logs
    assert "UnicodeEncodeError" in shown and "PLANTED" not in shown

    @scrub.scrubbed
    def provider() -> None:
        raise ProviderError(f"request with {NON_ASCII_KEY} failed")

    with pytest.raises(ProviderError, match=r"request with \*\*\*\*\*\* failed"):  # class (status, retryable) kept
        provider()

    @scrub.scrubbed
    def clean() -> None:
        raise ValueError("no secret")

    with pytest.raises(ValueError, match="no secret"):
        clean()


def test_log_records_are_scrubbed_before_any_handler(caplog) -> None:
    scrub.install()
    scrub.remember(NON_ASCII_KEY)
    logger = logging.getLogger("prefect.task_runs")
    with caplog.at_level(logging.INFO, logger="prefect.task_runs"):
        logger.error("key %s rejected", NON_ASCII_KEY)
        try:
            f"Bearer {NON_ASCII_KEY}".encode("ascii")
        except UnicodeEncodeError as exc:
            logger.error("Task run failed with exception: %r", exc, exc_info=True)
    text = caplog.text + "".join(logging.Formatter().format(r) for r in caplog.records)
    assert "rejected" in text and "UnicodeEncodeError" in text and "PLANTED" not in text


def test_configs_round_trip_and_the_generated_key_file_is_0600(tmp_path, settings_env) -> None:
    settings_env("INGESTFLOW_DATA_DIR", str(tmp_path / "data"))
    settings_env("INGESTFLOW_SECRET_KEY", "")
    from ingestflow.settings import prepare_environment

    prepare_environment()
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    stored = crypto.encrypt({"api_key": "PLANTED-abc"})
    assert crypto.is_encrypted(stored) and "PLANTED" not in str(stored)
    assert crypto.decrypt(stored) == {"api_key": "PLANTED-abc"}
    key_file = tmp_path / "data" / crypto.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert crypto.decrypt({"api_key": "clear"}) == {"api_key": "clear"}  # an older release's row


def test_rotation_new_key_first_old_ones_still_decrypt(settings_env) -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings_env("INGESTFLOW_SECRET_KEY", old)
    stored = crypto.encrypt({"password": "PLANTED-pw"})
    settings_env("INGESTFLOW_SECRET_KEY", f"{new},{old}")
    rotated = crypto.rotate(stored)
    settings_env("INGESTFLOW_SECRET_KEY", new)
    assert crypto.decrypt(rotated) == {"password": "PLANTED-pw"}
    with pytest.raises(crypto.SecretKeyError, match="cannot be decrypted"):
        crypto.decrypt(stored)


def test_a_catalog_with_clear_secrets_is_encrypted_by_the_upgrade(tmp_path, settings_env) -> None:
    from ingestflow.catalog.db import migrate

    settings_env("INGESTFLOW_DATA_DIR", str(tmp_path / "data"))
    db = tmp_path / "catalog.db"
    shutil.copy(LEGACY, db)
    with sqlite3.connect(db) as conn:
        (clear,) = conn.execute("SELECT config FROM connectors WHERE name = 'lake'").fetchone()
    secret = json.loads(clear)["access_key_secret"]
    assert secret.encode() in db.read_bytes()
    engine = create_engine(f"sqlite:///{db}")
    migrate(engine)
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("catalog.db*"))
    assert secret.encode() not in raw
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT config FROM connectors WHERE name = 'lake'").fetchone()
    assert crypto.decrypt(json.loads(stored))["access_key_secret"] == secret


def test_orm_reads_a_clear_row_and_re_encrypts_it_on_write(tmp_path, settings_env) -> None:
    from sqlalchemy.orm import Session

    from ingestflow.catalog.db import migrate
    from ingestflow.catalog.models import Connector

    settings_env("INGESTFLOW_DATA_DIR", str(tmp_path / "data"))
    db = tmp_path / "fresh.db"
    engine = create_engine(f"sqlite:///{db}")
    migrate(engine)
    with engine.begin() as conn:  # a row as an older release (or a process mid-upgrade) wrote it
        conn.exec_driver_sql("INSERT INTO connectors (id, name, source_type, config, status, usage_type, username, "
                             "created_at, updated_at) VALUES (1, 'old', 5, '{\"access_key_secret\": \"PLANTED-old\"}', "
                             "'active', '[]', 'admin', 0, 0)")
    with Session(engine) as s:
        row = s.get(Connector, 1)
        assert row.config == {"access_key_secret": "PLANTED-old"}
        row.config = {**row.config, "bucket_name": "b"}
        s.commit()
    engine.dispose()
    assert b"PLANTED-old" not in b"".join(p.read_bytes() for p in tmp_path.glob("fresh.db*"))
    assert os.path.exists(tmp_path / "data" / crypto.KEY_FILE)


def test_cli_rotate_re_encrypts_every_connector_with_the_newest_key(tmp_path, settings_env) -> None:
    from cryptography.fernet import Fernet
    from typer.testing import CliRunner

    from ingestflow.catalog import catalog
    from ingestflow.cli.main import app

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings_env("INGESTFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'rot.db'}")
    settings_env("INGESTFLOW_SECRET_KEY", old)
    with catalog() as c:
        cid = c.connectors.create("s3", 5, {"access_key_secret": "PLANTED-rot"}).id
    settings_env("INGESTFLOW_SECRET_KEY", f"{new},{old}")
    result = CliRunner().invoke(app, ["secrets", "rotate"])
    assert result.exit_code == 0 and "re-encrypted" in result.output, result.output
    settings_env("INGESTFLOW_SECRET_KEY", new)  # the old key is gone: the rows still read
    with catalog() as c:
        assert c.connectors.get(cid).config == {"access_key_secret": "PLANTED-rot"}
    assert len(CliRunner().invoke(app, ["secrets", "new-key"]).output.strip()) == 44
