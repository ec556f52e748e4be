"""Atomic writes: complete or absent, never truncated, with ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest

from quizgen.core import files


def test_write_replaces_whole_file_with_umask_permissions(tmp_path):
    target = tmp_path / "deck.txt"
    target.write_text("old contents that are longer than the new ones")
    old = os.umask(0o022)
    try:
        files.write_text_atomic(target, "new")
    finally:
        os.umask(old)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["deck.txt"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "quiz.yaml"
    target.write_text("keep me")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        files.write_bytes_atomic(target, b"half")
    assert target.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["quiz.yaml"]
