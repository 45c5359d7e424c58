"""Instruction-like prose aimed at AI models ("ignore previous instructions", "you are now an unrestricted AI",
"system prompt", chat role lines), found in linear time, also where it is disguised (``ingest/sanitize/disguise.py``).
It is the document's content: it is kept word for word and flagged, never removed."""

from __future__ import annotations

import re

from ingest.sanitize.disguise import fold_disguises, fold_lookalikes

# ----------------------------------------------------------------------------- instruction-like prose
_AI = r"(?:ai|a\.i\.|assistants?|chatbots?|chatgpt|gpt|llms?|language\s+models?|dan)"
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b"
    r"(?:\W{1,5}(?:all|any|the|your|my|its|these|those|previous|prior|above|earlier|preceding|system|initial"
    r"|original|other|safety|of|and|every)){0,4}\W{1,5}(?:instructions?|prompts?|rules|directives|guardrails|messages)\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:everything|all)\s+(?:above|before|previously|so\s+far)\b"
    r"|\byou\s+are\s+now\s+(?:an?\s+|the\s+|in\s+)?(?:[\w-]{1,20}\s+){0,2}?"
    rf"(?:{_AI}|mode|persona|unrestricted|unfiltered|jailbroken)\b"
    r"|\bfrom\s+now\s+on,?\s+(?:you|the\s+" + _AI + r")\b"
    r"|\b(?:system|developer|hidden|initial)\s+(?:prompt|message|instructions)\b"
    r"|\bnew\s+instructions?\s*:"
    r"|\b(?:jailbreak|jailbroken|do\s+anything\s+now)\b"
    r"|\bpretend\s+(?:to\s+be|you\s+are)\b"
    rf"|\b(?:act|behave|respond)\s+as\s+(?:an?\s+|the\s+)?(?:unrestricted\s+|unfiltered\s+)?{_AI}\b"
    rf"|\bas\s+an?\s+{_AI}\s*,"
    rf"|\b(?:note\s+to|attention|dear)\s+(?:the\s+)?(?:ai|{_AI})s?\b"
    r"|\b(?:reveal|print|repeat|output|show)\s+(?:\w{1,20}\s+){0,3}?(?:system\s+prompt|instructions|prompt)\b"
    r"|^[ \t]*(?:system|assistant|user|human)[ \t]*:[ \t]*(?:you|ignore|disregard|forget|from\s+now|always|never"
    r"|do\s+not|don't|answer|respond|reply|tell|say|output)\b",
    re.IGNORECASE | re.MULTILINE,
)


# Every alternative of _INSTRUCTION contains one of these keywords (lower case; the short ones as whole words).
# Python's regex engine tries the 14-way alternation at every word start (0.4 us a character, 1 s for the NGC
# corpus); str.find on the keywords runs at C speed and the pattern then runs only in windows around the hits
# (a match spans under 200 characters). Role lines ("System: ignore ...") have their own line-anchored scan.
_KEYWORDS = (  # found at the start of a word
    "ignor", "disregard", "forget", "overrid", "bypass", "prompt", "instruction", "message", "rules",
    "direction", "directive", "guardrail", "jailbr", "pretend", "assistant", "chatbot", "chatgpt", "gpt",
    "language", "a.i.", "persona", "unrestricted", "unfiltered",
)
_WORD_KEYWORDS = ("ai", "dan", "llm", "llms", "now", "mode")  # found as whole words
_ROLE_LINE = re.compile(r"^[ \t]*(?:system|assistant|user|human)[ \t]*:", re.MULTILINE)
_WINDOW = 300


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """Spans of instruction-like prose aimed at AI models (``_INSTRUCTION``), found in linear time, also where it is
    disguised with look-alike letters or spaced out letter by letter (``disguised_instruction_spans``)."""
    spans = _plain_instruction_spans(text)
    disguised = disguised_instruction_spans(text)
    if not disguised:
        return spans
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans + disguised):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _plain_instruction_spans(text: str) -> list[tuple[int, int]]:
    """``_INSTRUCTION`` on the text as written."""
    low = text.lower()
    if len(low) != len(text):  # a few characters lower-case to two; offsets would not line up
        return [(m.start(), m.end()) for m in _INSTRUCTION.finditer(text)]
    hits: list[int] = []
    for keyword in _KEYWORDS:
        pos = low.find(keyword)
        while pos != -1:
            if pos == 0 or not low[pos - 1].isalnum():
                hits.append(pos)
            pos = low.find(keyword, pos + 1)
    for keyword in _WORD_KEYWORDS:
        pos = low.find(keyword)
        while pos != -1:
            end = pos + len(keyword)
            if (pos == 0 or not low[pos - 1].isalnum()) and (end == len(low) or not low[end].isalnum()):
                hits.append(pos)
            pos = low.find(keyword, pos + 1)
    hits.extend(m.start() for m in _ROLE_LINE.finditer(low))
    if not hits:
        return []
    hits.sort()
    windows: list[list[int]] = []
    for pos in hits:
        start, end = max(0, pos - _WINDOW), min(len(text), pos + _WINDOW)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])
    spans: list[tuple[int, int]] = []
    for start, end in windows:
        for m in _INSTRUCTION.finditer(text, start, end):  # pos/endpos keep ^ and \b true to the whole text
            if not spans or m.start() >= spans[-1][1]:
                spans.append((m.start(), m.end()))
    return spans


# The same instructions with no spaces at all, for a run whose letters and words are spaced alike ("i g n o r e a l l").
_COMPACT_INSTRUCTION = re.compile(
    r"(?:ignore|disregard|forget|override|bypass)(?:all|any|the|your|my|its|these|those|previous|prior|above|earlier"
    r"|preceding|system|initial|original|other|safety|of|and|every){0,4}(?:instructions?|prompts?|rules|directives"
    r"|guardrails|messages)"
    r"|(?:ignore|disregard|forget)(?:everything|all)(?:above|before|previously|sofar)"
    r"|youarenow(?:an?|the|in)?(?:unrestricted|unfiltered|jailbroken|developer)?(?:ai|mode|persona"
    r"|unrestricted|unfiltered|jailbroken|assistant|chatbot|dan)"
    r"|fromnowon,?(?:you|theai)"
    r"|(?:system|developer|hidden|initial)(?:prompt|message|instructions)"
    r"|newinstructions?:|jailbr(?:eak|oken)|doanythingnow|pretend(?:tobe|youare)",
    re.IGNORECASE,
)


def disguised_instruction_spans(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` (as written) whose folded view is instruction-like prose that the text itself does not
    show as such: look-alike letters or spaced-out words."""
    folded = fold_disguises(text)
    if folded is None:
        return []
    spans = [folded.source_span(s, e) for s, e in _plain_instruction_spans(folded.text)]
    for start, end in folded.runs:
        letters = [(i, ch) for i, ch in enumerate(text[start:end], start) if not ch.isspace()]
        compact = fold_lookalikes("".join(ch for _, ch in letters))
        for m in _COMPACT_INSTRUCTION.finditer(compact):
            spans.append((letters[m.start()][0], letters[m.end() - 1][0] + 1))
    return spans
