"""A passage's sentences as a reader would read them (pure): split at sentence ends, list markers and page-foot
numbers removed, and what PDF layout broke apart joined again: a sentence broken across a blank line or a page, and a
list's lead-in with its items ("Test your urine or blood for ketones if" / "• your blood glucose is above 240"); and
whether a claim is such sentences of a passage word for word (``is_whole_sentence_quote``)."""

from __future__ import annotations

import re

from clinrag.text import BULLETS, split_sentences
from rag.recommendation import LABEL_LINE

_ITEM_MARKER = re.compile(rf"^(?:[{re.escape(BULLETS)}]|\d+[.)])\s+")
_PAGE_NUMBER_LINE = re.compile(r"\n[ \t]*\d{1,4}[ \t]*$")  # a page number left at the foot of a PDF page
_OPEN_END = re.compile(r"[^.!?:;)\]\"']$")  # ends with no full stop: a list's lead-in or a line broken mid-sentence
# an item's last line and the paragraph after it, with no blank line between ("1 tablespoon of sugar or honey" /
# "After 15 minutes, check ..."): a line that does not end in a joining word, then a capitalised word
_ITEM_END = re.compile(r"(?<![,(/-])(?<!\b(?:of|to|in|by|or|an))(?<!\b(?:the|and|for))(?<!\bwith)(?<!\ba)[ \t]*\n[ \t]*(?=[A-Z][a-z]+\b)")
_JOINING_END = re.compile(r"\b(?:if|when|unless|to|of|with|for|and|or|as|include|including|are|is|the|a|an)$", re.I)
LIST_MAX_ITEMS = 8
LIST_MAX_CHARS = 500


def _segments(text: str) -> list[tuple[str, str]]:
    """(text, list marker or "") for every sentence span of a passage, list markers and page-foot numbers removed; a
    numbered item's marker is "1", an unmarked line indented under the line before it is " "."""
    out = []
    for s, e in split_sentences(text):
        raw = _PAGE_NUMBER_LINE.sub("", text[s:e].strip())
        marker = _ITEM_MARKER.match(raw)
        if not marker:
            line_start = text.rfind("\n", 0, s) + 1
            indented = s - line_start >= 2 and not text[line_start:s].strip()
            out.append((" ".join(raw.split()), " " if indented else ""))
            continue
        kind = "1" if marker.group(0)[0].isdigit() else marker.group(0)[0]
        item, *after = _ITEM_END.split(_ITEM_MARKER.sub("", raw), maxsplit=1)
        out.append((" ".join(item.split()), kind))
        out += [(" ".join(rest.split()), "") for rest in after if rest.strip()]
    return out


def passage_sentences(text: str) -> list[str]:
    """The passage's sentences with what layout broke apart joined again (pure):

    - a line that runs on from a sentence broken by a blank line or a page ("You need" / "them even if you can't keep
      food down.") is joined to it;
    - a list's lead-in (not a heading) that ends open or with a colon takes its items when they do not start in upper
      case or it ends in a joining word ("Test your urine or blood for ketones if: your blood glucose is above 240;
      you can't keep food or liquids down."), up to ``LIST_MAX_ITEMS`` and ``LIST_MAX_CHARS``; its items are the
      run of items with the first one's marker, which is not the lead-in's own ("●" items below a "•" list are the
      next list); items that do not start in upper case belong to the lead-in and are no sentences of their own;
    - a recommendation label on a line of its own ("DO NOT USE", "Use Is NOT RECOMMENDED") takes the items under it,
      marked or only indented, whatever their case: "DO NOT USE: Meperidine for chronic pain; …" (an item cut off
      from its label would read as advice for it).
    """
    segments = _segments(text)
    out: list[str] = []
    i = 0
    while i < len(segments):
        sentence, item = segments[i]  # item: the sentence's own list marker, "" for none
        item = "" if item == " " else item  # indentation is a marker only for the items under a label
        i += 1
        if out and not item and sentence[:1].islower() and _OPEN_END.search(out[-1]) and not out[-1].startswith("#"):
            out[-1] = f"{out[-1]} {sentence}"
            continue
        kind = segments[i][1] if i < len(segments) else ""
        label = bool(LABEL_LINE.match(sentence)) and not item
        if kind == " " and not label:
            kind = ""  # indentation alone makes a list only under a recommendation label
        if kind and kind != item and not sentence.startswith("#") and (_OPEN_END.search(sentence) or sentence.endswith(":")) \
                and (label or not segments[i][0][:1].isupper() or _JOINING_END.search(sentence)):
            items = []
            while i < len(segments) and segments[i][1] == kind and len(items) < LIST_MAX_ITEMS:
                nxt = segments[i][0]
                if len(sentence) + sum(len(x) + 2 for x in items) + len(nxt) > LIST_MAX_CHARS:
                    break
                items.append(nxt.rstrip(" .;,"))
                i += 1
            if items:
                sentence = f"{sentence.rstrip(' :')}: " + "; ".join(items) + "."
                while i < len(segments) and segments[i][1] == kind and (label or not segments[i][0][:1].isupper()):
                    i += 1  # items past the caps stay out: no fragment of the list stands alone
        out.append(sentence)
    return out


_QA_LABEL = re.compile(r"^\s*(?:q|a|question|answer)\s*[:.)-]", re.IGNORECASE)


def normal_words(text: str) -> str:
    """Lower case, spacing collapsed, no closing full stop, colon or semicolon: the form quotes are compared in."""
    return " ".join(text.lower().split()).rstrip(" .;:")


# a list item's marker ("- ", "* ", "• ", "2. ", "b) ") is layout, not words of the sentence it opens
_LIST_MARKER = re.compile(r"^(?:[-*•–]|\d{1,2}[.)]|[a-z][.)])\s+")


def _qa_label(line: str) -> bool:
    return bool(_QA_LABEL.match(line.replace("*", "").replace("_", "")))


def _run_start(sentences: list[str], target: str) -> int | None:
    """Where a run of up to four consecutive ``sentences``, joined by spaces, equals ``target``; None if nowhere."""
    for i in range(len(sentences)):
        joined = ""
        for j in range(i, min(i + 4, len(sentences))):
            joined = f"{joined} {sentences[j]}".strip() if joined else sentences[j]
            if joined == target:
                return i
            if len(joined) > len(target):
                break
    return None


def is_whole_sentence_quote(claim: str, passage: str) -> bool:
    """True when ``claim`` is one whole sentence of ``passage``, or several consecutive ones, word for word (case and
    spacing aside). A fragment is not a quote: cutting "Do not give X" down to "give X" must not pass.

    The passage's sentences are read both as split and as the extractive drafter reads them (a list's lead-in with
    its items, a sentence broken across a page joined again), list punctuation aside; a sentence that is only the
    start of a joined one (a lead-in without its items) is no quote, and in a passage with Q&A lines only the split
    sentences count, outside a Q&A answer line."""
    target = " ".join(normal_words(claim[a:b]) for a, b in split_sentences(claim))
    if not target or target.endswith("?") or _qa_label(target):  # "A: No. ..." answers another question (a forged Q&A shape)
        return False
    joined = [normal_words(s) for s in passage_sentences(passage)]
    spans = split_sentences(passage)
    at = _run_start([_LIST_MARKER.sub("", normal_words(passage[a:b])) for a, b in spans], target)
    if at is not None:
        if _qa_label(passage[passage.rfind("\n", 0, spans[at][0]) + 1 : spans[at][0]]):
            return False  # inside a Q&A answer line
        cut_short = target not in joined and any(s.startswith(target) and len(s) > len(target) for s in joined)
        return not cut_short
    if any(_qa_label(line) for line in passage.splitlines()):
        return False
    return _run_start([_JOINT.sub("", s) for s in joined], _JOINT.sub("", target)) is not None


_JOINT = re.compile(r"[;:](?=\s|$)")
