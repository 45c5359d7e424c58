"""Choose and validate the question-focus sentence model (``rag/focus_model.json``) on MeQSum consumer messages
(CC BY 4.0).

A sentence of a message is labelled as asking when it holds at least half of the content terms of the message's
short clinical question (written by experts). Two models over ``rag.focus.sentence_features`` are compared on a
held-back 20% (stable hash): a logistic regression fitted on the other 80%, and hand-set weights (a question mark,
a question word or an asking phrase count for; greetings, thanks and first-person narrative count against). MeQSum
messages rarely open with greetings, so the fitted model learns that first sentences ask (most MeQSum subject
lines do) and ranks "Hello doctor, I hope you are well." first on a message that opens with one; the hand-set
weights keep nearly the same held-back term recall without that flaw, and are the ones written.
Usage: .venv/bin/python -m training.focus
"""

from __future__ import annotations

import json
import sys

import numpy as np

from clinrag.text import content_terms
from rag.focus import FOCUS_MODEL_FILE, message_sentences, reduce_message, sentence_features
from training.sources import held_back, path_of, read_jsonl


def rows(messages):
    X, y = [], []
    for m in messages:
        sentences = message_sentences(m["consumer_question"])
        target = set(content_terms(m["clinical_question"]))
        if not sentences or not target:
            continue
        for i, s in enumerate(sentences):
            f = sentence_features(s, i, len(sentences))
            X.append([f[k] for k in sorted(f)])
            y.append(int(len(target & set(content_terms(s))) / len(target) >= 0.5))
    return np.array(X), np.array(y)


def main() -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    data = read_jsonl(path_of("meqsum"))
    train = [m for m in data if not held_back(f"meqsum:{m['id']}", 0.2)]
    test = [m for m in data if held_back(f"meqsum:{m['id']}", 0.2)]
    X, y = rows(train)
    mean, scale = X.mean(0), X.std(0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=2000).fit((X - mean) / scale, y)
    Xt, yt = rows(test)
    auroc = float(roc_auc_score(yt, model.predict_proba((Xt - mean) / scale)[:, 1]))
    names = sorted(sentence_features("x", 0, 1))
    fitted = {
        "features": names,
        "coef": dict(zip(names, model.coef_[0].round(6).tolist())),
        "intercept": round(float(model.intercept_[0]), 6),
        "mean": dict(zip(names, mean.round(6).tolist())),
        "scale": dict(zip(names, scale.round(6).tolist())),
    }
    out = {"features": names, "intercept": -2.0, "mean": {k: 0.0 for k in names}, "scale": {k: 1.0 for k in names},
           "coef": {"question_mark": 2.0, "wh_start": 1.2, "ask_phrase": 1.5, "social": -3.0, "first_person": -0.5,
                    "content_terms": 0.8, "length": -0.3, "position": 0.3, "is_first": 0.3, "is_last": 0.0, "digits": 0.0}}
    fitted_kept = []
    for m in test:
        text, _ = reduce_message(m["consumer_question"], 240, fitted)
        target = set(content_terms(m["clinical_question"]))
        if target:
            fitted_kept.append(len(target & set(content_terms(text))) / len(target))
    kept, kept_full, before, after, reduced = [], [], [], [], 0
    for m in test:
        text, did = reduce_message(m["consumer_question"], 240, out)
        target = set(content_terms(m["clinical_question"]))
        if not target:
            continue
        kept.append(len(target & set(content_terms(text))) / len(target))
        kept_full.append(len(target & set(content_terms(m["consumer_question"]))) / len(target))
        before.append(len(m["consumer_question"]))
        after.append(len(text))
        reduced += did
    out["info"] = {
        "weights": "hand-set (see training/focus.py); validated on train/meqsum_filtered.jsonl (CC BY 4.0), 20% held back",
        "fitted_alternative_heldout_terms_kept": round(float(np.mean(fitted_kept)), 4),
        "n_sentences": int(len(y)), "fitted_alternative_heldout_sentence_auroc": round(auroc, 4),
        "heldout_messages": len(kept), "heldout_reduced": reduced,
        "heldout_clinical_terms_kept": round(float(np.mean(kept)), 4),
        "heldout_clinical_terms_in_full_message": round(float(np.mean(kept_full)), 4),
        "heldout_mean_chars_before_after": [round(float(np.mean(before))), round(float(np.mean(after)))],
    }
    FOCUS_MODEL_FILE.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out["info"], indent=2), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
