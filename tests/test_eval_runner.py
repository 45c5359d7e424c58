"""The evaluation runner end to end on the tiny suite (HashEmbedder; no real models)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clinrag.errors import SuiteError
from clinrag.records import AnswerRecord, SentenceRecord
from clinrag.settings import REPO_ROOT, Settings
from composition.app import App
from eval.runner import run_judge, run_suite
from eval.suites import load_suite, validate_suite
from tests.conftest import unit_calibration
from tests.fakes import HashEmbedder, LexicalReader

TINY = REPO_ROOT / "eval" / "suites" / "tiny"
REPORT_KEYS = {
    "suite", "n", "settings_fingerprint", "generator", "retrieval", "answer", "citations", "refusal",
    "selective", "latency_s", "baselines", "robustness", "version", "wall_s", "timings",
}


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "unused-index")


# What the scripted answerer does per question id: (decision, answer text, verdict, groundedness).
# Everything not listed answers with the question's reference answer (correct) at groundedness 0.9.
SCRIPT = {
    "t-strep-days-typo": ("answer", "Treat for 5 days.", None, 0.3),  # wrong: misspelled drop = 1
    "t-gdm-when-demo": ("refuse", "", None, 0.1),  # demographic variant refused: disagreement = 1
    "t-lyme-dose": ("refuse", "", None, 0.1),
    "t-rabies-days": ("refuse", "", None, 0.1),
    "t-malaria-start": ("answer", "Start the day before travel.", None, 0.3),  # should have refused
}


class ScriptedAnswerer:
    """Answers from SCRIPT, citing the best retrieved chunk of a gold document (real retrieval)."""

    def __init__(self, app: App, questions: dict[str, dict]) -> None:
        self.app = app
        self.by_text = {q["question"]: q for q in questions.values()}

    def ask(self, question: str) -> AnswerRecord:
        q = self.by_text[question]
        decision, text, verdict, groundedness = SCRIPT.get(
            q["id"], ("answer", q["reference_answer"], q["gold_answer"] if q["answer_type"] == "yesno" else None, 0.9)
        )
        evidence = self.app.retriever.search(question, k=10).results
        gold = [e for e in evidence if e.doc_id in set(q["gold_doc_ids"])] or evidence[:1]
        sentences = [SentenceRecord(text=text, citations=[gold[0].chunk_id], support=0.9)] if decision == "answer" else []
        return AnswerRecord(
            question=question,
            decision=decision,
            answer=f"{text} [1]" if decision == "answer" else "",
            sentences=sentences,
            groundedness=groundedness,
            refusal_reason=None if decision == "answer" else "scripted refusal",
            evidence=evidence[:4],
            timings_s={"total": 0.01},
            models={"generator": "scripted"},
            settings_fingerprint="fp-test",
            verdict=verdict,
            warnings=[],
            generator="scripted",
        )


def _scripted(monkeypatch: pytest.MonkeyPatch) -> None:
    questions = {q["id"]: q for q in load_suite(TINY).questions}
    monkeypatch.setattr(App, "answerer", lambda self, generator=None: ScriptedAnswerer(self, questions))


def test_tiny_suite_is_valid():
    assert validate_suite(TINY) == []
    suite = load_suite(TINY)
    assert len(suite.questions) >= 16
    assert {q["answer_type"] for q in suite.questions} == {"yesno", "short", "list", "long"}
    assert sum(q["expected_behavior"] == "refuse" for q in suite.questions) == 3
    assert len(suite.exclude_doc_ids) == 3


def test_validate_suite_reports_problems(tmp_path: Path):
    broken = tmp_path / "broken"
    shutil.copytree(TINY, broken)
    spec = json.loads((broken / "suite.json").read_text())
    spec["categories"].append("pediatrics")
    (broken / "suite.json").write_text(json.dumps(spec))
    lines = (broken / "questions.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["gold_doc_ids"] = ["no-such-doc"]
    lines[0] = json.dumps(first)
    (broken / "questions.jsonl").write_text("\n".join(lines) + "\n")
    problems = validate_suite(broken)
    assert any("no-such-doc" in p for p in problems)
    assert any("pediatrics" in p for p in problems)

    (broken / "questions.jsonl").write_text('{"id": "x", "question": "q?", "expected_behavior": "maybe", "answer_type": "short"}\n')
    assert any("expected_behavior" in p for p in validate_suite(broken))
    (broken / "suite.json").unlink()
    assert any("suite.json" in p for p in validate_suite(broken))
    with pytest.raises(SuiteError, match="suite.json"):
        load_suite(broken)


def test_run_suite_end_to_end_with_scripted_answerer(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch):
    _scripted(monkeypatch)
    out = tmp_path / "out"
    report = run_suite(TINY, settings, out_dir=out, embedder=HashEmbedder(), index_root=tmp_path / "idx", progress=False,
                       reader=LexicalReader())

    assert REPORT_KEYS <= set(report)
    for name in ("report.json", "report.md", "records.jsonl", "risk_coverage.png", "reliability.png", "categories.png"):
        assert (out / name).stat().st_size > 0, name
    on_disk = json.loads((out / "report.json").read_text())
    assert REPORT_KEYS <= set(on_disk)
    assert set(on_disk["retrieval"]) >= {"recall@1", "recall@5", "recall@10", "mrr", "ndcg@10"}
    assert set(on_disk["baselines"]) == {"bm25", "dense", "fused", "reranked"}
    assert len((out / "records.jsonl").read_text().splitlines()) == report["n"] == 21
    assert "risk_coverage.png" in (out / "report.md").read_text()

    a = pytest.approx
    assert report["answer"]["accuracy"] == a(16 / 18, abs=1e-3)
    assert report["selective"]["accuracy_answered"] == a(16 / 17, abs=1e-3)
    assert report["refusal"]["recall"] == a(2 / 3, abs=1e-3)
    assert report["refusal"]["over_refusal"] == a(1 / 17, abs=1e-3)
    assert report["refusal"]["coverage"] == a(18 / 21, abs=1e-3)
    assert report["citations"]["precision"] == a(1.0) and report["citations"]["recall"] == a(1.0)
    assert report["selective"]["ece"] == a((16 * 0.1 + 2 * 0.3) / 18, abs=1e-3)
    assert report["selective"]["brier"] == a((16 * 0.01 + 2 * 0.09) / 18, abs=1e-3)
    assert report["selective"]["aurc"] == a(2 / 21 * 2 / 18 + 3 / 21 * 5 / 21, abs=1e-3)
    assert report["robustness"]["lay_drop"] == a(0.0)
    assert report["robustness"]["misspelled_drop"] == a(1.0)
    assert report["robustness"]["demographic_disagreement"] == a(1.0)
    assert report["version"]["current_cited_rate"] == a(1.0)
    assert report["answer"]["by_type"]["yesno"]["accuracy"] == a(1.0)
    assert report["answer"]["by_category"]["evidence-removed"]["accuracy"] == a(2 / 3, abs=1e-3)
    assert report["retrieval"]["recall@10"] > 0.8  # the hash embedder plus BM25 find the gold docs
    assert report["settings_fingerprint"] == "fp-test"
    assert report["index"]["built"] is True


def test_run_suite_limit_and_index_reuse(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch):
    _scripted(monkeypatch)
    kwargs = dict(embedder=HashEmbedder(), index_root=tmp_path / "idx", progress=False,
                       reader=LexicalReader())
    calls: list[tuple[int, int]] = []
    first = run_suite(TINY, settings, out_dir=tmp_path / "a", limit=7, seed=5, on_progress=lambda *c: calls.append(c),
                      **kwargs)
    second = run_suite(TINY, settings, out_dir=tmp_path / "b", limit=7, seed=5, **kwargs)
    assert first["n"] == second["n"] == 7
    assert calls == [(i, 7) for i in range(1, 8)]  # the sample's size, not the suite's
    assert first["index"]["built"] is True and second["index"]["built"] is False
    ids = lambda d: [json.loads(l)["id"] for l in (d / "records.jsonl").read_text().splitlines()]  # noqa: E731
    assert ids(tmp_path / "a") == ids(tmp_path / "b")
    assert first["refusal"]["n_must_refuse"] >= 1  # stratified: refusals are sampled too
    # the suite excludes ids, so its index is derived from a cached full-corpus index: two folders, one embedding pass
    assert len(list((tmp_path / "idx").iterdir())) == 2


def test_run_suite_with_the_real_answer_pipeline(tmp_path: Path, settings: Settings):
    """The extractive answerer with the hash embedder: checks the integration, not the quality."""
    report = run_suite(TINY, settings, out_dir=tmp_path / "out", embedder=HashEmbedder(), index_root=tmp_path / "idx",
                       progress=False, reader=LexicalReader(), calibration=unit_calibration())
    assert REPORT_KEYS <= set(report)
    assert report["errors"] == 0
    assert report["generator"] == "extractive"
    assert report["refusal"]["recall"] is not None
    assert (tmp_path / "out" / "reliability.png").exists()


def test_run_suite_reports_a_bad_suite_folder(tmp_path: Path, settings: Settings):
    with pytest.raises(SuiteError, match="does not exist"):
        run_suite(tmp_path / "nowhere", settings, out_dir=tmp_path / "out")


class FakeVerifier:
    def support(self, claim: str, passage: str) -> float:
        return 0.9 if claim.split()[0] in passage else 0.2


def test_run_judge(tmp_path: Path, settings: Settings):
    judge = tmp_path / "pairs.jsonl"
    rows = [
        {"id": "1", "premise": "aspirin lowers fever", "hypothesis": "aspirin helps", "label": "supported"},
        {"id": "2", "premise": "statins lower LDL", "hypothesis": "statins help", "label": "supported"},
        {"id": "3", "premise": "rest is advised", "hypothesis": "surgery is advised", "label": "unsupported"},
        {"id": "4", "premise": "no antibiotics", "hypothesis": "antibiotics are advised", "label": "contradicted"},
        {"id": "5", "premise": "fluids help", "hypothesis": "fluids", "label": "unsupported"},
    ]
    judge.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = run_judge(judge, settings, out_dir=tmp_path / "out", verifier=FakeVerifier(), progress=False)
    assert report["n"] == 5
    # scores: supported 0.9, 0.9; not supported 0.2, 0.9 ("antibiotics"), 0.9 ("fluids")
    assert report["confusion_matrix"] == [[1, 2], [0, 2]]
    assert report["balanced_accuracy"] == pytest.approx((1 / 3 + 1) / 2, abs=1e-3)
    assert report["auroc"] == pytest.approx(4 / 6, abs=1e-3)  # ties count one half
    assert report["seconds_per_pair"] is not None
    assert json.loads((tmp_path / "out" / "report.json").read_text())["n"] == 5
    assert run_judge(judge, settings, out_dir=tmp_path / "o2", limit=2, verifier=FakeVerifier(), progress=False)["n"] == 2

    judge.write_text('{"premise": "p", "hypothesis": "h", "label": "maybe"}\n')
    with pytest.raises(SuiteError, match="line 1"):
        run_judge(judge, settings, out_dir=tmp_path / "o3", verifier=FakeVerifier())


def test_a_failing_question_is_recorded_not_fatal(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch):
    from clinrag.errors import GenerationError

    questions = {q["id"]: q for q in load_suite(TINY).questions}

    class Flaky(ScriptedAnswerer):
        def ask(self, question: str) -> AnswerRecord:
            if self.by_text[question]["id"] == "t-crc-age":
                raise GenerationError("endpoint timed out")
            return super().ask(question)

    monkeypatch.setattr(App, "answerer", lambda self, generator=None: Flaky(self, questions))
    out = tmp_path / "out"
    calls: list[tuple[int, int]] = []
    report = run_suite(TINY, settings, out_dir=out, embedder=HashEmbedder(), index_root=tmp_path / "idx", progress=False,
                       reader=LexicalReader(), on_progress=lambda *c: calls.append(c))
    assert report["errors"] == 1
    assert calls == [(i, report["n"]) for i in range(1, report["n"] + 1)]  # the failed question counts as done
    row = next(json.loads(l) for l in (out / "records.jsonl").read_text().splitlines() if '"t-crc-age"' in l)
    assert row["decision"] == "refuse" and row["refusal_code"] == "error" and "timed out" in row["error"]
    assert row["correct"] is False


def test_suites_sharing_corpus_files_reuse_embeddings(tmp_path):
    """A suite over files a and b extends a cached index of file a; a suite over a alone is cut from it."""
    from eval.runner import ensure_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text("\n".join(json.dumps({"doc_id": f"a{i}", "text": f"Alpha fact {i} about asthma."}) for i in range(3)))
    (corpus / "b.jsonl").write_text("\n".join(json.dumps({"doc_id": f"b{i}", "text": f"Beta fact {i} about sepsis."}) for i in range(2)))
    questions = json.dumps({"id": "q", "question": "asthma?", "expected_behavior": "answer", "answer_type": "long",
                            "gold_answer": None, "gold_doc_ids": ["a0"], "category": "c", "reference_answer": "x"})

    def suite(name, files, exclude=None):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "questions.jsonl").write_text(questions + "\n")
        (folder / "suite.json").write_text(json.dumps({"name": name, "corpus": [f"../corpus/{f}" for f in files],
                                                       "exclude_doc_ids": exclude, "questions": "questions.jsonl"}))
        return load_suite(folder)

    settings = Settings(index_dir=tmp_path / "unused")
    embedder = HashEmbedder()
    root = tmp_path / "cache"
    _, only_a = ensure_index(suite("sa", ["a.jsonl"]), settings, embedder, root)
    _, both = ensure_index(suite("sab", ["a.jsonl", "b.jsonl"], ["a1"]), settings, embedder, root)
    assert only_a["built"] and only_a["documents"] == 3
    assert both["derived_from"] == only_a["key"] and both["documents"] == 4  # a0, a2, b0, b1
    _, b_only = ensure_index(suite("sb", ["b.jsonl"]), settings, embedder, root)
    assert b_only["documents"] == 2 and "derived_from" not in b_only  # an index with exclusions is never a source
    folder, a_cut = ensure_index(suite("sa2", ["a.jsonl"], ["a2"]), settings, embedder, root)
    assert a_cut["derived_from"] == only_a["key"]
    docs = {d["doc_id"] for d in App(settings.model_copy(update={"index_dir": folder}), embedder=embedder).store.documents()}
    assert docs == {"a0", "a1"}
