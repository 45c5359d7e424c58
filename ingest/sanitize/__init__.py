"""Pure text hygiene for ingestion: document text is data, and names reach terminals and logs.

``neutralise(text)`` removes what a human reader cannot see or what only a language model would act on, and
reports where it was, so the document and the affected chunks can be flagged:

* hidden HTML (elements styled ``display:none``, ``visibility:hidden``, ``font-size:0``, ``opacity:0``, or with
  the ``hidden`` attribute) is removed with its content; HTML comments are removed, and flagged when what they
  hid looks like an instruction or a chat marker;
* invisible Unicode (zero-width characters, tag characters U+E0000-U+E007F, bidi embedding/override/isolate
  controls) is removed. Zero-width (non-)joiners are kept between non-ASCII letters, where scripts such as
  Persian or Devanagari and emoji sequences need them;
* forged chat-template and fence markers (``<|im_start|>``, ``[INST]``, ``<<SYS>>``, ``</passage>``, ...) are
  removed: a tokenizer could read them as special tokens, and a fence could close the prompt's own;
* instruction-like prose aimed at AI models ("ignore previous instructions", "you are now an unrestricted AI",
  "system prompt", chat role lines) is kept word for word, because it is the document's content and a
  librarian must be able to audit it, and flagged, so the answer pipeline can leave those passages out. The
  patterns also run on a folded view of the text, so that instructions disguised with look-alike letters
  ("Іgnоrе" in Cyrillic, fullwidth or mathematical letters) or spaced out letter by letter ("I g n o r e   a l l")
  are flagged where they are written (``fold_disguises``; ``bench/disguise_bench.py`` counts the flags this adds
  on the bundled and shared corpora: none).

Every pattern here runs in time linear in the text (no nested unbounded quantifiers); ``bench/parse_bench.py``
checks that with adversarial inputs.

``display(text)`` and ``inline(text)`` make file names, titles and reasons safe to print: no newline, escape
code, bidi control or lone surrogate reaches a terminal, a log line or a JSON report.

One module a kind: ``cleaning`` (``neutralise``, the findings and their flags; hidden HTML, invisible Unicode, forged
markers), ``instructions`` (instruction-like prose), ``disguise`` (the look-alike and spacing fold) and
``printable`` (``display``, ``inline``). The names below are the package's API; import them from ``ingest.sanitize``.
"""

from __future__ import annotations

from ingest.sanitize.cleaning import (
    ALL_FLAGS,
    FLAG_HIDDEN_HTML,
    FLAG_INSTRUCTION,
    FLAG_INVISIBLE,
    FLAG_MARKER,
    Finding,
    flags_in_span,
    flags_of,
    neutralise,
    neutralise_inline,
)
from ingest.sanitize.disguise import FoldedText, fold_disguises
from ingest.sanitize.instructions import disguised_instruction_spans, instruction_spans
from ingest.sanitize.printable import display, display_path, has_lone_surrogate, inline

__all__ = [
    "ALL_FLAGS",
    "FLAG_HIDDEN_HTML",
    "FLAG_INSTRUCTION",
    "FLAG_INVISIBLE",
    "FLAG_MARKER",
    "Finding",
    "FoldedText",
    "display",
    "display_path",
    "disguised_instruction_spans",
    "flags_in_span",
    "flags_of",
    "fold_disguises",
    "has_lone_surrogate",
    "inline",
    "instruction_spans",
    "neutralise",
    "neutralise_inline",
]
