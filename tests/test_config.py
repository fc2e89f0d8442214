"""Settings from PORTFOLIO_* variables: the attachment limits, the request limit above them,
and the assessors' turnaround."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio.config import ConfigError, load_config

MiB = 1024 * 1024


def _config(tmp_path: Path, **overrides: object) -> dict[str, object]:
    return load_config({"ENV_NAME": "testing", "INSTANCE_PATH": str(tmp_path), **overrides})


def test_attachment_limits_default_and_the_request_limit_sits_just_above(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORTFOLIO_ATTACHMENT_MAX_BYTES", raising=False)
    monkeypatch.delenv("PORTFOLIO_ATTACHMENT_QUOTA_BYTES", raising=False)
    config = _config(tmp_path)
    assert config["ATTACHMENT_MAX_BYTES"] == 10 * MiB
    assert config["ATTACHMENT_QUOTA_BYTES"] == 100 * MiB
    assert config["MAX_CONTENT_LENGTH"] == 11 * MiB


def test_attachment_limits_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTFOLIO_ATTACHMENT_MAX_BYTES", str(20 * MiB))
    monkeypatch.setenv("PORTFOLIO_ATTACHMENT_QUOTA_BYTES", str(500 * MiB))
    config = _config(tmp_path)
    assert (config["ATTACHMENT_MAX_BYTES"], config["ATTACHMENT_QUOTA_BYTES"]) == (
        20 * MiB,
        500 * MiB,
    )
    assert config["MAX_CONTENT_LENGTH"] == 21 * MiB
    # A small attachment limit never takes the request limit below what page images need.
    monkeypatch.setenv("PORTFOLIO_ATTACHMENT_MAX_BYTES", str(MiB))
    assert _config(tmp_path)["MAX_CONTENT_LENGTH"] == 4 * MiB
    # An explicit request limit is kept as given.
    assert _config(tmp_path, MAX_CONTENT_LENGTH=5 * MiB)["MAX_CONTENT_LENGTH"] == 5 * MiB


@pytest.mark.parametrize("value", ["ten megabytes", "0", "-5", "1.5"])
def test_a_bad_attachment_limit_stops_the_app_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PORTFOLIO_ATTACHMENT_QUOTA_BYTES", value)
    with pytest.raises(ConfigError, match="PORTFOLIO_ATTACHMENT_QUOTA_BYTES"):
        _config(tmp_path)


def test_the_turnaround_defaults_to_seven_working_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORTFOLIO_TURNAROUND_DAYS", raising=False)
    assert _config(tmp_path)["TURNAROUND_DAYS"] == 7
    monkeypatch.setenv("PORTFOLIO_TURNAROUND_DAYS", "10")
    assert _config(tmp_path)["TURNAROUND_DAYS"] == 10


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a week", "must be a whole number of working days, not 'a week'"),
        ("0", "must be more than 0"),
        ("-1", "must be more than 0"),
        ("61", "must be at most 60"),
    ],
)
def test_a_bad_turnaround_stops_the_app_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("PORTFOLIO_TURNAROUND_DAYS", value)
    with pytest.raises(ConfigError, match=f"PORTFOLIO_TURNAROUND_DAYS {message}"):
        _config(tmp_path)
