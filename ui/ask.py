"""The Ask page: a chat whose answers stream as they are drafted and are replaced by the verified record.

One conversation per browser session (``st.session_state["turns"]``); "New conversation" clears it. The answer is
computed in a worker thread that only calls the answer service (never Streamlit); its events (stages, the model's
tokens) travel through a queue to this script thread, which updates the status line and streams the draft with
``st.write_stream``. When the service returns, the draft is replaced by the verified record: answer sentences with
[n] markers that link to their source cards, or a refusal card that says why.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Iterator

import streamlit as st

from clinrag.settings import Settings
from clinrag.privacy import redact_text
from composition.service import AnswerService
from stores.users import Identity, require
from rag.render import claims_citing, render_markdown
from ui import render as R
from ui.access import permitted
from ui.runtime import Runtime, runtime, show_error

GENERATOR_HELP = {
    "extractive": "extractive: quotes verified sentences from the passages (fast, no language model)",
    "local": "local: a small local LLM drafts the answer (slower)",
    "api": "api: an OpenAI-compatible endpoint drafts the answer (the question is redacted first)",
}
EXAMPLES = (
    "How long should nitrofurantoin be given for uncomplicated cystitis in women?",
    "my dad is 70, does he still need colon cancer checks?",
)
DRAFT_NOTE = (
    "Draft, shown as the model writes it. Every sentence is now being checked against the passage it cites; "
    "the verified answer replaces this draft, and unsupported sentences are removed."
)


def generator_options(settings: Settings) -> list[str]:
    options = ["extractive", "local"]
    if settings.generation.api_base_url:
        options.append("api")
    return options


def stage_label(text: str) -> str:
    return (text[:1].upper() + text[1:] + "…") if text else "Working…"


# ----------------------------------------------------------------------------- answering
def _events(service: AnswerService, question: str, generator: str, box: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Run ``service.ask`` in a worker thread; yield its (kind, text) events here until it is done."""
    events: queue.Queue[tuple[str, str]] = queue.Queue()

    def work() -> None:
        try:
            box["record"] = service.ask(question, generator, on_event=lambda kind, text: events.put((kind, text)))
        except BaseException as exc:  # noqa: BLE001 - handed to the script thread, which shows it
            box["error"] = exc
        finally:
            events.put(("done", ""))

    threading.Thread(target=work, name="clinrag-answer", daemon=True).start()
    while True:
        kind, text = events.get()
        if kind == "done":
            return
        yield kind, text


def answer_with_progress(rt: Runtime, question: str, generator: str, identity: Identity) -> dict[str, Any]:
    """Answer ``question`` for ``identity`` (named in the audit record), showing stages and the streamed draft;
    returns the new turn (record or error)."""
    require(identity, "ask")
    first = generator not in rt.warm
    status = st.status(
        "Loading the models (first question since start-up) and searching the guidelines…" if first
        else "Searching and reading the guidelines…",
        expanded=False,
    )
    draft_area = st.empty()
    box: dict[str, Any] = {}
    started = time.perf_counter()
    first_words_s: float | None = None
    stream = _events(AnswerService(rt.app, user=identity.name), question, generator, box)
    for kind, text in stream:
        if kind == "stage":
            status.update(label=stage_label(text))
        elif kind == "token":
            first_words_s = time.perf_counter() - started

            def tokens(first_piece: str = text) -> Iterator[str]:
                yield first_piece
                for later_kind, later_text in stream:
                    if later_kind == "token":
                        yield later_text
                    elif later_kind == "stage":
                        status.update(label=stage_label(later_text))

            with draft_area.container():
                st.caption(DRAFT_NOTE)
                st.write_stream(tokens())
            break
    for _ in stream:  # drain: the worker may still be verifying
        pass
    total_s = time.perf_counter() - started
    draft_area.empty()
    record = box.get("record")
    if record is None:
        status.update(label="The question could not be answered", state="error")
        return {"error": box.get("error") or RuntimeError("no answer"), "total_s": total_s}
    rt.warm.add(generator)
    status.update(label=f"Done in {total_s:.1f} s", state="complete")
    return {"record": record, "first_words_s": first_words_s, "total_s": total_s}


# ----------------------------------------------------------------------------- showing a turn
def source_card(turn_id: int, n: int, result, claims=(), open_passage: bool = True) -> None:
    with st.container(border=True):
        st.subheader(R.source_title(n, result), anchor=R.source_anchor(turn_id, n))
        st.markdown(R.source_meta_markdown(result))
        if R.is_superseded(result):
            st.warning("This passage is from a SUPERSEDED guideline version. Prefer the current version.",
                       icon=":material/warning:")
        if open_passage:
            st.markdown(R.passage_markdown(result, claims))
        else:
            with st.expander("Passage"):
                st.markdown(R.passage_markdown(result, claims))


def show_record(turn_id: int, record) -> None:
    for warning in R.warning_texts(record):
        st.warning(warning, icon=":material/warning:")
    if record.decision == "refuse":
        title, advice = R.refusal_title(record)
        with st.container(border=True):
            st.markdown(f"**{R.escape_inline(title)}**")
            st.info(R.refusal_markdown(record), icon=":material/block:")
            st.markdown(R.escape_md(advice))
        _, closest = R.sources_for(record)
        if not closest:
            st.caption("No passages were found in the index.")
        else:
            st.caption("The closest passages searched:")
        for i, (n, result) in enumerate(closest):
            source_card(turn_id, n, result, open_passage=i == 0)
        return
    with st.container(border=True):
        verdict = R.verdict_markdown(record)
        if verdict:
            st.markdown(verdict)
        st.markdown(R.answer_markdown(record, turn_id))
        st.markdown(R.groundedness_markdown(record))
    cited, other = R.sources_for(record)
    st.markdown("**Sources**")
    if not cited:
        st.caption("No passage is cited.")
    for n, result in cited:
        source_card(turn_id, n, result, claims_citing(record, n))
    if other:
        with st.expander(f"Other passages retrieved ({len(other)}), not cited"):
            for n, result in other:
                st.markdown(R.source_title(n, result))
                st.caption(R.passage_preview(result))


def feedback_controls(settings: Settings, identity: Identity, turn: dict[str, Any]) -> None:
    turn_id = turn["id"]
    if turn.get("feedback"):
        st.caption(f"Feedback saved ({turn['feedback']}). Thank you.")
        return
    rating = st.feedback("thumbs", key=f"feedback-{turn_id}")
    comment = st.text_input("Comment (optional; identifiers are redacted)", key=f"feedback-comment-{turn_id}")
    if st.button("Send feedback", key=f"feedback-send-{turn_id}", disabled=rating is None):
        from stores.feedback import feedback_path, record_feedback

        try:
            require(identity, "ask")
            record_feedback(feedback_path(settings.index_dir), turn["record"], "up" if rating == 1 else "down",
                            comment or "", settings)
        except Exception as exc:  # noqa: BLE001
            show_error(exc)
            return
        turn["feedback"] = "up" if rating == 1 else "down"
        st.rerun()


def show_turn(settings: Settings, identity: Identity, turn: dict[str, Any]) -> None:
    with st.chat_message("user"):
        st.markdown(R.escape_md(turn["question"]))
        if turn.get("redaction"):
            st.caption(R.escape_md(turn["redaction"]))
    with st.chat_message("assistant"):
        if turn.get("error") is not None:
            show_error(turn["error"])
            return
        record = turn["record"]
        show_record(turn["id"], record)
        timing = f"Verified answer after {turn['total_s']:.1f} s" if record.decision == "answer" else f"Refused after {turn['total_s']:.1f} s"
        if turn.get("first_words_s") is not None:
            timing = f"First words after {turn['first_words_s']:.1f} s · " + timing
        st.caption(f"{timing} · generator {R.escape_inline(turn['generator'])} · {R.NOTICE}")
        left, right = st.columns(2)
        markdown = render_markdown(record)
        left.download_button("Download answer (Markdown)", markdown, file_name=f"clinrag-answer-{turn['id']}.md",
                             mime="text/markdown", key=f"download-{turn['id']}", icon=":material/download:")
        with right.popover("Copy as Markdown", icon=":material/content_copy:"):
            st.code(markdown, language="markdown")
        feedback_controls(settings, identity, turn)
        with st.expander("Details: timings and settings"):
            st.json(R.details(record))


# ----------------------------------------------------------------------------- the page
def redaction_note(question: str, generator: str) -> str:
    description = redact_text(question).describe()
    if not description:
        return ""
    kinds = description.removeprefix("Redacted before sending: ").rstrip(".")
    where = "the audit log, feedback and the request to the API model" if generator == "api" else "the audit log and feedback"
    return f"Identifiers found in this question ({kinds}) were redacted from {where}."


def ask_page(settings: Settings, identity: Identity) -> None:
    if not permitted(identity, "ask"):
        return
    turns: list[dict[str, Any]] = st.session_state.setdefault("turns", [])
    options = generator_options(settings)
    default = settings.generation.generator if settings.generation.generator in options else "extractive"
    top = st.columns([4, 1])
    generator = top[0].radio("Answer with", options, index=options.index(default), horizontal=True, key="generator",
                             format_func=lambda name: GENERATOR_HELP.get(name, name))
    if top[1].button("New conversation", icon=":material/add_comment:", disabled=not turns):
        st.session_state["turns"] = []
        st.rerun()
    if not turns:
        st.markdown("Ask a question about the loaded clinical guidelines. Every answer cites the passages it rests on, "
                    "and clinrag refuses when they do not support one. For example:")
        for example in EXAMPLES:
            st.markdown(f"- *{R.escape_md(example)}*")
    try:
        rt = runtime(settings)
    except Exception as exc:  # noqa: BLE001
        show_error(exc)
        return
    for turn in turns:
        show_turn(settings, identity, turn)
    question = st.chat_input("Ask about the loaded guidelines…", key="chat")
    if question is None:
        return
    if not question.strip():
        st.warning("Type a question first, for example: 'What is the target blood pressure for most adults?'")
        return
    turn: dict[str, Any] = {"id": (turns[-1]["id"] + 1) if turns else 1, "question": question,
                            "generator": generator, "redaction": redaction_note(question, generator)}
    with st.chat_message("user"):
        st.markdown(R.escape_md(question))
    with st.chat_message("assistant"):
        try:
            rt.app.store.require_ready()
            turn.update(answer_with_progress(rt, question, generator, identity))
        except Exception as exc:  # noqa: BLE001
            turn["error"] = exc
    turns.append(turn)
    st.rerun()
