"""bench/load_bench.py runs bounded, on loopback, with the fakes: a smoke run of a fixed number of requests, two clients
(the count is the bound; the duration is a generous cap, so the result does not depend on machine speed)."""

from __future__ import annotations

import json

from tests.conftest import write_tiny_corpus


def test_the_load_bench_serves_concurrent_clients_without_errors_and_audits_every_answer(tmp_path, capsys):
    from bench.load_bench import main

    corpus = write_tiny_corpus(tmp_path / "corpus")
    assert main(["--clients", "2", "--duration", "600", "--corpus", str(corpus), "--max-requests", "12"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == 0 and report["requests"] == report["ok"] == 12
    assert report["audit"]["verified"] and report["audit"]["records"] == report["ok"]
    assert report["latency_ms"]["p50"] <= report["latency_ms"]["p95"] <= report["latency_ms"]["max"]
