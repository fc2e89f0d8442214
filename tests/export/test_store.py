"""Finished exports on disk (export/store.py): a write that fails part-way leaves neither a
half file nor its temporary file behind."""

from __future__ import annotations

import os

import pytest

from portfolio.export import store


def test_a_failed_write_leaves_nothing_behind(ctx: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        store.write("cache/abc.pdf", b"%PDF-1.7 ...")
    folder = store.exports_dir() / "cache"
    assert not store.has("cache/abc.pdf")
    assert sorted(p.name for p in folder.iterdir()) == []


def test_a_write_is_whole(ctx: None) -> None:
    assert store.write("cache/abc.pdf", b"%PDF-1.7 whole") == 14
    assert store.path_of("cache/abc.pdf").read_bytes() == b"%PDF-1.7 whole"
    assert [p.name for p in (store.exports_dir() / "cache").iterdir()] == ["abc.pdf"]
