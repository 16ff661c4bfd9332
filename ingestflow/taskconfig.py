"""The typed configs of a load task, used end to end (API body → catalog JSON → flow).

``SourceConfig`` is seed 002's ``source_config`` (what to load and when); ``ProcessConfig`` is how
to process it (seed 003's chunking rules plus ingestflow's per-task limits). Both keep unknown
fields, so a client's extra keys round-trip unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ingestflow.records import LoadIntervalType

RUN_ONCE = (LoadIntervalType.UNKNOWN, LoadIntervalType.ONCE)


class LoadMode(BaseModel):
    """When a task runs: seed 002's ``load_mode_config``."""

    model_config = ConfigDict(extra="allow")

    load_interval_type: LoadIntervalType = Field(
        ..., description="0 unknown, 1 daily, 2 hourly, 3 minute, 4 once, 5/6/7 = 5/10/30 min, 8–11 = 2/4/6/12 h")
    interval: int = Field(0, ge=0, le=100000, description="Multiplier of the unit (0 = 1).")

    @property
    def every(self) -> int:
        """The multiplier, at least 1."""
        return max(self.interval, 1)

    @property
    def run_once(self) -> bool:
        """A run-once task: one immediate run, no schedule."""
        return self.load_interval_type in RUN_ONCE


class CommonFileTaskConfig(BaseModel):
    """Seed 002's ``common_file_task_config``."""

    model_config = ConfigDict(extra="allow")

    load_mode_config: LoadMode
    uris: list[str] = Field(..., description="Source uris to load (files or directories); [] = everything.")


class SourceConfig(BaseModel):
    """A task's ``source_config``: its uris and its load mode."""

    model_config = ConfigDict(extra="allow")

    common_file_task_config: CommonFileTaskConfig

    @classmethod
    def once(cls, uris: list[str] | None = None) -> SourceConfig:
        """A run-once config over ``uris`` (all of the source when empty)."""
        return cls(common_file_task_config=CommonFileTaskConfig(
            load_mode_config=LoadMode(load_interval_type=LoadIntervalType.ONCE), uris=list(uris or [])))

    @classmethod
    def stored(cls, raw: dict[str, Any] | None) -> SourceConfig:
        """A config as stored in the catalog (missing parts take the run-once defaults)."""
        data = dict(raw or {})
        common = dict(data.get("common_file_task_config") or {})
        mode = dict(common.get("load_mode_config") or {})
        mode["load_interval_type"] = int(mode.get("load_interval_type") or LoadIntervalType.ONCE)
        mode["interval"] = int(mode.get("interval") or 0)
        common.update(load_mode_config=mode, uris=list(common.get("uris") or []))
        return cls.model_validate({**data, "common_file_task_config": common})

    @property
    def load_mode(self) -> LoadMode:
        return self.common_file_task_config.load_mode_config

    @property
    def uris(self) -> list[str]:
        return self.common_file_task_config.uris

    def dump(self) -> dict[str, Any]:
        """The JSON stored in the catalog and returned by the API."""
        return self.model_dump(mode="json")


class ProcessConfig(BaseModel):
    """A task's ``process_config``: seed 003's rules (under ``rule`` or at the top level) and limits."""

    model_config = ConfigDict(extra="allow")

    # process_type and rule are checked by the chunker (indexers/chunking.py), which names the field
    process_type: Any = Field(None, description="automatic | custom (seed 003).")
    rule: Any = Field(None, description="Seed 003's pre_process_rules and segment rules.")
    sync_mode: Literal["mirror", "append-only"] = Field(
        "mirror", description="mirror: files gone from the source lose their chunks; append-only: never deleted.")
    max_delete_fraction: float = Field(0.5, ge=0, le=1, description="Mirror mode deletes nothing when more "
                                                                    "than this fraction of the files is gone at once.")
    parse_timeout_s: float | None = Field(None, gt=0, description="Per-file fetch + parse limit (default: setting).")
    embed_timeout_s: float | None = Field(None, gt=0, description="Per-batch embedding limit (default: setting).")
    file_retries: int | None = Field(None, ge=0, le=10, description="Retries of transient file errors (default: setting).")
    ocr_languages: str | None = Field(None, max_length=200, description="Tesseract languages (default: setting).")

    @classmethod
    def stored(cls, raw: dict[str, Any] | None) -> ProcessConfig:
        """A config as stored in the catalog."""
        return cls.model_validate(raw or {})

    def dump(self) -> dict[str, Any]:
        """The JSON stored in the catalog (unset fields left out, as the client sent it)."""
        return self.model_dump(mode="json", exclude_unset=True)
