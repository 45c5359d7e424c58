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


def test_the_older_variable_names_are_settings_read_in_one_place(tmp_path, monkeypatch):
    from clinrag.errors import ConfigError
    from clinrag.settings import load_settings

    base = load_settings()
    monkeypatch.setenv("CLINRAG_ALLOW_INSECURE_API", "1")
    monkeypatch.setenv("CLINRAG_AUDIT_LOG", str(tmp_path / "a.jsonl"))
    monkeypatch.setenv("CLINRAG_AUDIT_QUESTION", "HASH")
    monkeypatch.setenv("CLINRAG_UI_APP_FACTORY", "tests.ui_support:make_app")
    monkeypatch.setenv("CLINRAG_API_KEY", "sk-older")
    s = load_settings()
    assert s.generation.api_allow_insecure and s.audit.log_path == tmp_path / "a.jsonl" and s.audit.question == "hash"
    assert s.ui.app_factory == "tests.ui_support:make_app" and s.api_key.get_secret_value() == "sk-older"
    assert s.fingerprint() == base.fingerprint()  # none of them changes an answer; the key is a secret
    assert "sk-older" not in repr(s) and "sk-older" not in str(s.model_dump())
    monkeypatch.setenv("CLINRAG_AUDIT__QUESTION", "redacted")  # the newer spelling wins over the older one
    assert load_settings().audit.question == "redacted"
    monkeypatch.setenv("CLINRAG_ALLOW_INSECURE_API", "yes")  # only "1" allows, as before
    assert not load_settings().generation.api_allow_insecure
    monkeypatch.setenv("CLINRAG_AUDIT_QUESTION", "plain")
    with pytest.raises(ConfigError, match="CLINRAG_AUDIT_QUESTION must be 'redacted' or 'hash', found 'plain'"):
        load_settings()


def test_importing_the_package_writes_only_the_three_variables_libraries_need_before_they_load():
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    script = ("import json, os; before = dict(os.environ); import clinrag, clinrag.settings; "
              "print(json.dumps({k: v for k, v in os.environ.items() if before.get(k) != v}))")
    env = {k: v for k, v in os.environ.items() if k not in {"HF_HUB_OFFLINE", "TRANSFORMERS_VERBOSITY", "TOKENIZERS_PARALLELISM"}}
    out = subprocess.run([sys.executable, "-c", script], cwd=repo, env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error", "TOKENIZERS_PARALLELISM": "false"}
