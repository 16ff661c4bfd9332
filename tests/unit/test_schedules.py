"""Load-interval types → Prefect schedules (seed 002's 1–4 and MOI 5.0's 5–11), and the typed task configs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ingestflow.taskconfig import ProcessConfig, SourceConfig


@pytest.mark.parametrize(("interval_type", "interval", "expected"), [
    (1, 2, timedelta(days=2)), (2, 3, timedelta(hours=3)), (3, 0, timedelta(minutes=1)),
    (5, 0, timedelta(minutes=5)), (6, 1, timedelta(minutes=10)), (7, 0, timedelta(minutes=30)),
    (9, 0, timedelta(hours=4)), (10, 0, timedelta(hours=6)), (11, 0, timedelta(hours=12)),
])
def test_schedule_mapping(interval_type: int, interval: int, expected: timedelta) -> None:
    from ingestflow.orchestration import deployments as prefect_ops

    config = {"common_file_task_config": {"load_mode_config": {"load_interval_type": interval_type,
                                                               "interval": interval}}}
    assert prefect_ops.schedule_for(SourceConfig.stored(config)).interval == expected


def test_daily_is_a_cron_and_once_has_no_schedule() -> None:
    from ingestflow.orchestration import deployments as prefect_ops

    daily = prefect_ops.schedule_for(SourceConfig.stored({"common_file_task_config": {"load_mode_config": {"load_interval_type": 1}}}))
    assert daily.cron == "0 2 * * *"
    assert prefect_ops.schedule_for(SourceConfig.stored({"common_file_task_config": {"load_mode_config": {"load_interval_type": 4}}})) is None


def test_stored_configs_fill_the_run_once_defaults_and_round_trip_extra_keys() -> None:
    source = SourceConfig.stored({"common_file_task_config": {"uris": ["a"], "extra": 1}, "other": "kept"})
    assert source.load_mode.run_once and source.load_mode.every == 1 and source.uris == ["a"]
    dumped = source.dump()
    assert dumped["other"] == "kept" and dumped["common_file_task_config"]["extra"] == 1
    assert dumped["common_file_task_config"]["load_mode_config"] == {"load_interval_type": 4, "interval": 0}
    assert SourceConfig.stored(None).uris == []


def test_process_config_keeps_what_the_client_sent_and_checks_limits() -> None:
    raw = {"process_type": "custom", "rule": {"segment": {"chunk_size": 100}}, "unit": "chars"}
    assert ProcessConfig.stored(raw).dump() == raw
    assert ProcessConfig.stored({}).sync_mode == "mirror"
    with pytest.raises(ValueError, match="max_delete_fraction"):
        ProcessConfig.stored({"max_delete_fraction": 2})
