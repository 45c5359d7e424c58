from __future__ import annotations

import pytest

from clinrag.errors import ConfigError
from clinrag.settings import load_settings


def test_environment_overrides_file_and_defaults(tmp_path, monkeypatch):
    file = tmp_path / "s.toml"
    file.write_text("[retrieval]\nk = 5\nrrf_k = 30.0\n")
    monkeypatch.setenv("CLINRAG_RETRIEVAL__K", "12")
    monkeypatch.setenv("CLINRAG_INDEX_DIR", str(tmp_path / "idx"))
    s = load_settings(file)
    assert s.retrieval.k == 12 and s.retrieval.rrf_k == 30.0 and s.index_dir == tmp_path / "idx"
    assert load_settings(file, index_dir=tmp_path / "cli").index_dir == tmp_path / "cli"


def test_index_fingerprint_tracks_only_chunk_and_embedding_settings():
    base = load_settings()
    assert base.index_fingerprint() == load_settings(retrieval={"k": 3}).index_fingerprint()
    assert base.index_fingerprint() != load_settings(chunking={"max_chars": 500}).index_fingerprint()
    assert base.fingerprint() != load_settings(retrieval={"k": 3}).fingerprint()
    assert base.fingerprint() == load_settings(index_dir="/elsewhere").fingerprint()


def test_invalid_values_are_reported_with_the_field(monkeypatch):
    monkeypatch.setenv("CLINRAG_RETRIEVAL__K", "zero")
    with pytest.raises(ConfigError, match="retrieval.k"):
        load_settings()


def test_missing_settings_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")


def test_unit_tests_cannot_reach_the_network():
    import socket

    import pytest

    with pytest.raises(OSError, match="network"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)


def test_settings_files_are_read_without_touching_the_environment(tmp_path, monkeypatch):
    import os

    from clinrag.settings import load_settings

    monkeypatch.delenv("CLINRAG_SETTINGS_FILE", raising=False)
    path = tmp_path / "s.toml"
    path.write_text("[retrieval]\nk = 11\n")
    before = dict(os.environ)
    assert load_settings(path).retrieval.k == 11
    assert dict(os.environ) == before and load_settings().retrieval.k != 11


def test_data_dir_moves_every_folder_and_the_api_key_is_secret(tmp_path, monkeypatch):
    from clinrag.settings import load_settings

    monkeypatch.setenv("CLINRAG_API_KEY", "sk-secret")
    for name in ("CLINRAG_MODEL_CACHE", "CLINRAG_MODEL_CACHE_DIR", "CLINRAG_DATA_DIR"):  # run-tests.sh sets one
        monkeypatch.delenv(name, raising=False)
    s = load_settings(data_dir=tmp_path)
    assert {s.index_dir, s.eval_dir, s.eval_index_dir, s.model_cache_dir, s.upload_dir} == {
        tmp_path / "index", tmp_path / "eval", tmp_path / "eval-index", tmp_path / "models", tmp_path / "uploads"}
    assert "sk-secret" not in repr(s) and "sk-secret" not in str(s.model_dump())
    assert s.api_key.get_secret_value() == "sk-secret"
    assert s.fingerprint() == load_settings(data_dir=tmp_path / "other").fingerprint()
