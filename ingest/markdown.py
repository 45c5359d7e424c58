"""Markdown: YAML front matter (safe types only, no anchors or aliases, bounded) and heading paths as sections."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from clinrag.errors import CorruptFileError, EmptyDocumentError
from clinrag.records import Document, Section
from ingest.documents import build_document, first_line
from ingest.sanitize import display_path, inline, neutralise

MAX_FRONT_MATTER_CHARS = 64_000
MAX_FRONT_MATTER_DEPTH = 20
# Linear: the title is the rest of the line, its closing #s stripped in Python. The former pattern
# ``(.+?)[ \t#]*$`` backtracked over every run of spaces (a 40 KB heading line took 37 s).
_HEADING = re.compile(r"^(#{1,6})[ \t]+([^\n]*)$", re.MULTILINE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n")
_FRONT_MATTER_END = re.compile(r"^---[ \t]*$", re.MULTILINE)


def split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    """(front-matter mapping, body). The block between the first two ``---`` lines is YAML: safe types only, no
    anchors or aliases (an alias bomb of 400 bytes expands to gigabytes), at most 64 KB and 20 levels deep."""
    opening = _FRONT_MATTER.match(text)
    if not opening:
        return {}, text
    closing = _FRONT_MATTER_END.search(text, opening.end())
    if closing is None:
        return {}, text
    block = text[opening.end() : max(opening.end(), closing.start() - 1)]
    body = text[closing.end() + 1 :] if closing.end() < len(text) else ""
    if len(block) > MAX_FRONT_MATTER_CHARS:
        raise CorruptFileError(
            display_path(path), f"front matter is {len(block):,} characters, above the {MAX_FRONT_MATTER_CHARS:,} limit",
            "keep metadata short; put the content in the body",
        )
    loaded = _safe_yaml(path, block)
    if loaded is not None and not isinstance(loaded, dict):
        raise CorruptFileError(display_path(path), "front matter must be a mapping of keys to values")
    return {str(k): v for k, v in (loaded or {}).items()}, body


def _safe_yaml(path: Path, block: str) -> Any:
    depth = 0
    try:
        for event in yaml.parse(block, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise CorruptFileError(
                    display_path(path),
                    f"front matter uses a YAML anchor or alias ({'*' if isinstance(event, yaml.AliasEvent) else '&'}"
                    f"{display_path(event.anchor)[:40]}), which clinrag does not accept",
                    "write each value out in full",
                )
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_FRONT_MATTER_DEPTH:
                    raise CorruptFileError(
                        display_path(path), f"front matter nests deeper than {MAX_FRONT_MATTER_DEPTH} levels",
                        "flatten the metadata",
                    )
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        return yaml.safe_load(block)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:  # PyYAML raises ValueError on 2023-13-45
        raise CorruptFileError(
            display_path(path), f"front matter is not valid YAML: {inline(str(exc), 300)}", "fix the block between the --- lines"
        ) from exc


def parse_markdown(path: Path, text: str, sha256: str) -> Document:
    meta, body = split_front_matter(path, text)
    if not body.strip():
        raise EmptyDocumentError(display_path(path), "markdown has no body text after its front matter")
    body, findings = neutralise(body)
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    for heading in _HEADING.finditer(body):
        level, rest = len(heading.group(1)), heading.group(2)
        title = inline(rest.rstrip(" \t#") or rest.strip()[:1])
        if not title:
            continue
        stack = [(lvl, t) for lvl, t in stack if lvl < level] + [(level, title)]
        sections.append(Section(heading.start(), tuple(t for _, t in stack)))
    first_heading = next((s.path[0] for s in sections), "")
    return build_document(
        path, body, sha256, meta, default_title=first_heading or first_line(body), sections=tuple(sections), findings=findings
    )
