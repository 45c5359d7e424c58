"""Load test: the answer service behind a small HTTP endpoint on loopback, hit by concurrent clients for a fixed time.

Usage:
    python bench/load_bench.py [--clients 8] [--duration 60] [--real --index DIR] [--generator extractive] [--no-audit]

By default it needs no model weights: the bundled corpus is indexed into a temporary folder with the deterministic
fakes of the fast tests (``tests/fakes.py``: HashEmbedder, LexicalReader; ``tests/conftest.py:unit_calibration``),
so it measures the pipeline, the index, the HTTP layer and the audit log's lock under concurrency, not the models.
``--real`` uses the configured models (MiniLM, the trained reader, the shipped calibration) and an existing index
(``--index``, default from settings). Every answer is appended to an audit log in a temporary folder (the
concurrency the file lock exists for) and the chain is verified at the end; ``--no-audit`` leaves that out.

Bounded: each client stops at the deadline (``--duration`` seconds) or after ``--max-requests`` in all; the server
listens on 127.0.0.1 only and is shut down at the end. Prints one JSON object: requests, errors (with examples),
latency p50/p95/max in ms, throughput in requests per second, decisions, and the audit check.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

QUESTIONS = REPO / "eval" / "suites" / "clinrag-demo" / "questions.jsonl"


def build_app(args: argparse.Namespace, workdir: Path):
    from composition.app import App
    from clinrag.settings import load_settings

    if args.real:
        app = App(load_settings(index_dir=args.index))
        app.store.require_ready()
        return app
    from tests.conftest import unit_calibration
    from tests.fakes import HashEmbedder, LexicalReader

    app = App(load_settings(index_dir=workdir / "index"), embedder=HashEmbedder(), reader=LexicalReader(),
              calibration=unit_calibration())
    report = app.ingest([args.corpus])
    if not report.ok:
        raise SystemExit(f"ingest failed: {report.failed}")
    return app


def make_handler(answerer, audit_log, settings):
    from stores.audit import entry_from_record

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args) -> None:  # quiet
            pass

        def _send(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._send(200 if self.path == "/health" else 404, {"ok": self.path == "/health"})

        def do_POST(self) -> None:
            if self.path != "/ask":
                self._send(404, {"error": "POST /ask"})
                return
            try:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                record = answerer.ask(request["question"])
                if audit_log is not None:
                    audit_log.append(entry_from_record(record, settings))
                self._send(200, {"decision": record.decision, "groundedness": record.groundedness,
                                 "refusal_code": record.refusal_code})
            except Exception as exc:  # a load test reports failures; it does not stop on them
                self._send(500, {"error": f"{type(exc).__name__}: {exc}"})

    return Handler


def client(port: int, questions: list[str], deadline: float, budget: "Budget", seed: int, out: list, timeout: float) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    while time.monotonic() < deadline and budget.take():
        body = json.dumps({"question": rng.choice(questions)})
        started = time.perf_counter()
        try:
            connection.request("POST", "/ask", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = json.loads(response.read())
            elapsed = time.perf_counter() - started
            out.append((elapsed, response.status, payload.get("decision") or payload.get("error", "")))
        except Exception as exc:  # connection reset, timeout: counted as errors
            out.append((time.perf_counter() - started, 0, f"{type(exc).__name__}: {exc}"))
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.close()


class Budget:
    """A shared cap on the number of requests, so a run is bounded in count as well as in time."""

    def __init__(self, n: int) -> None:
        self.left = n
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Concurrent load on the answer service over loopback HTTP")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=120.0, help="per-request client timeout in seconds")
    parser.add_argument("--real", action="store_true", help="use the configured models and an existing index")
    parser.add_argument("--index", type=Path, default=None, help="index folder for --real (default: settings)")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpora", help="corpus indexed for the fake run")
    parser.add_argument("--generator", choices=["extractive", "local", "api"], default="extractive")
    parser.add_argument("--no-audit", action="store_true", help="do not append to an audit log")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.clients < 1 or args.duration <= 0:
        parser.error("--clients must be at least 1 and --duration above 0")

    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="clinrag-load-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        app = build_app(args, workdir)
        answerer = app.answerer(args.generator)
        answerer.ask(questions[0])  # warm: models and index loaded once, before the clock starts
        setup_s = time.perf_counter() - started
        from stores.audit import AuditLog

        audit_log = None if args.no_audit else AuditLog(workdir / "audit.jsonl")
        server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(answerer, audit_log, app.settings))
        server.daemon_threads = True
        port = server.server_address[1]
        serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        serving.start()

        results: list[tuple[float, int, str]] = []
        budget = Budget(args.max_requests)
        t0 = time.monotonic()
        deadline = t0 + args.duration
        clients = [threading.Thread(target=client, args=(port, questions, deadline, budget, args.seed + i, results, args.timeout))
                   for i in range(args.clients)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(args.duration + args.timeout + 5)
        wall = time.monotonic() - t0
        server.shutdown()
        server.server_close()

        ok = [r for r in results if r[1] == 200]
        errors = [r for r in results if r[1] != 200]
        latencies = [1000 * r[0] for r in ok]
        audit = None
        if audit_log is not None:
            verification = audit_log.verify()
            audit = {"records": verification.records, "verified": verification.ok, "message": verification.message()}
        print(json.dumps({
            "mode": "real models" if args.real else "fakes (HashEmbedder, LexicalReader, unit calibration)",
            "generator": args.generator,
            "clients": args.clients,
            "duration_s": args.duration,
            "wall_s": round(wall, 2),
            "setup_s": round(setup_s, 2),
            "requests": len(results),
            "ok": len(ok),
            "errors": len(errors),
            "error_examples": sorted({r[2] for r in errors})[:5],
            "latency_ms": {"p50": round(percentile(latencies, 50), 1), "p95": round(percentile(latencies, 95), 1),
                           "max": round(max(latencies, default=0.0), 1)},
            "throughput_rps": round(len(ok) / wall, 2) if wall else 0.0,
            "decisions": dict(Counter(r[2] for r in ok)),
            "audit": audit,
        }, indent=2))
        return 0 if not errors and (audit is None or audit["verified"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
