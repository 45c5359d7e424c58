"""Conflicting sources (rag/conflicts.py) and the librarian's issuer trust (ingest/library.py, `clinrag library
trust|distrust|untrust|issuers`). Fast: a scripted reader, a drafter that quotes, and the tiny corpus with the hash
embedder for the store."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from cli.main import main
from clinrag.errors import LibraryError
from clinrag.records import Draft, SearchResult, SentenceRecord
from clinrag.text import issuer_key
from ingest.library import Library
from rag.conflicts import (
    Resolution,
    find_conflicts,
    numbers_disagree,
    remap_markers,
    resolve_conflicts,
)

OFFICIAL = "Epinephrine is the first-line treatment for anaphylaxis in adults."
FORGED = "Antihistamines are the first-line treatment for anaphylaxis in adults."
QUESTION = "What is the first-line treatment for anaphylaxis?"


def _result(n: int, doc_id: str, issuer: str, text: str, *, status: str = "current", version: str = "2020",
            date: str = "2020-10-30") -> SearchResult:
    return SearchResult(chunk_id=f"{doc_id}:{n}", doc_id=doc_id, title=f"Title of {doc_id}", section="Treatment",
                        page_start=None, page_end=None, char_start=0, char_end=len(text), text=text, score=1.0,
                        bm25_rank=1, dense_rank=1, version=version, date=date, status=status, issuer=issuer,
                        reader_score=0.9)


class ScriptedReader:
    """Relevance from a table (default 0.9); support from a set of contradicting pairs and a set of entailing ones
    (either way round), everything else "not stated". Records what it was asked."""

    name = "scripted"

    def __init__(self, contradict=(), entail=(), relevance=None) -> None:
        self.contradict = {frozenset(p) for p in contradict}
        self.entail = set(entail)  # (claim, premise substring)
        self.table = relevance or {}
        self.calls: list[tuple[str, int]] = []

    def relevance(self, query, texts):
        self.calls.append(("relevance", len(texts)))
        return np.array([self.table.get(t, 0.9) for t in texts])

    def support_pairs(self, claims, premises):
        self.calls.append(("support", len(claims)))
        rows = []
        for c, p in zip(claims, premises):
            if any(c == claim and sub in p for claim, sub in self.entail):
                rows.append([0.9, 0.05, 0.05])
            elif frozenset((c, p)) in self.contradict:
                rows.append([0.05, 0.9, 0.05])
            else:
                rows.append([0.05, 0.05, 0.9])
        return np.array(rows)

    def support(self, claim, passages):
        return self.support_pairs([claim] * len(passages), passages)


class QuotingDrafter:
    """Quotes the first sentence of every passage it is shown, numbering them as shown."""

    name = "quoting"

    def __init__(self) -> None:
        self.shown: list[list[str]] = []

    def draft(self, question, evidence, on_token=None):
        self.shown.append([e.doc_id for e in evidence])
        return Draft(" ".join(f"{e.text.split('. ')[0].rstrip('.')}. [{n}]" for n, e in enumerate(evidence, 1)))


def _verifier(shown, fail=()):
    """Supports every sentence except those in ``fail`` (returned as dropped)."""
    def verify(text):
        kept, dropped = [], []
        for sentence, marker in re.findall(r"(.+?)\s*\[(\d+)\]\s*", text):
            m = int(marker)
            record = SentenceRecord(sentence.strip(), [shown[m - 1].chunk_id], 0.9, [m])
            (dropped if sentence.strip() in fail else kept).append(record)
        return kept, dropped
    return verify


def _sentence(text: str, marker: int, shown) -> SentenceRecord:
    return SentenceRecord(text, [shown[marker - 1].chunk_id], 0.9, [marker])


def _resolve(shown, kept, reader, trust, drafter=None, fail=(), question=QUESTION) -> Resolution:
    return resolve_conflicts(question, Draft(" ".join(f"{s.text} [{s.markers[0]}]" for s in kept)), kept, [], shown,
                             reader, trust, drafter or QuotingDrafter(), _verifier(shown, fail))


WAO = "World Allergy Organization (WAO)"
GROUP = "Emergency Medicine Education Group"


def _anaphylaxis():
    return [_result(1, "forged", GROUP, FORGED, version="2023", date="2023-09-01"), _result(2, "wao-2020", WAO, OFFICIAL)]


# ----------------------------------------------------------------------------- conflicts, with fakes
def test_an_unknown_issuer_the_trusted_issuer_does_not_corroborate_is_left_out_and_the_answer_drafted_again():
    shown = _anaphylaxis()
    drafter = QuotingDrafter()
    out = _resolve(shown, [_sentence(FORGED, 1, shown)], ScriptedReader(), {issuer_key(WAO): "trusted"}, drafter)
    assert [s.text for s in out.kept] == [OFFICIAL.rstrip(".") + "."] and out.kept[0].markers == [2]
    assert drafter.shown == [["wao-2020"]]  # drafted again without the forged document
    assert [c.kind for c in out.conflicts] == ["uncorroborated"]
    warning = out.warnings[0]
    assert "disagree" in warning and "[1] Title of forged (Emergency Medicine Education Group, version 2023, 2023-09-01" in warning
    assert "[2] Title of wao-2020 (World Allergy Organization (WAO), version 2020, 2020-10-30; trusted issuer)" in warning
    assert "follows [2]" in warning and [x.doc_id for x in out.excluded] == ["forged"]
    assert any(s.text == FORGED for s in out.dropped)


def test_the_trusted_side_is_quoted_on_the_point_when_the_answer_kept_other_sentences_only():
    aside = "Anaphylaxis can recur hours after the first reaction."
    shown = _anaphylaxis() + [_result(3, "notes", "Ward Notes", aside)]
    reader = ScriptedReader(relevance={aside: 0.2})
    drafter = QuotingDrafter()
    out = _resolve(shown, [_sentence(FORGED, 1, shown), _sentence(aside, 3, shown)], reader, {issuer_key(WAO): "trusted"},
                   drafter)
    # the forged sentence is left out, the unrelated one stays, and the trusted side's sentence on the point is added
    assert [(s.markers, s.text) for s in out.kept] == [([3], aside), ([2], OFFICIAL)] and not drafter.shown


def test_a_sentence_a_trusted_passage_states_is_corroborated_and_kept():
    shown = _anaphylaxis()
    kept = [_sentence(FORGED, 1, shown)]
    reader = ScriptedReader(entail=[(FORGED, OFFICIAL)])
    out = _resolve(shown, kept, reader, {issuer_key(WAO): "trusted"})
    assert out.kept == kept and not out.conflicts and not out.warnings


def test_contradicting_documents_of_equal_trust_are_both_quoted_with_a_warning_that_names_why():
    shown = _anaphylaxis()
    reader = ScriptedReader(contradict=[(FORGED, OFFICIAL)])
    out = _resolve(shown, [_sentence(FORGED, 1, shown)], reader, {})
    assert [s.markers for s in out.kept] == [[1], [2]] and out.unresolved
    assert "Both are quoted; neither issuer is marked trusted" in out.warnings[0]
    both = _resolve(shown, [_sentence(FORGED, 1, shown)], reader, {issuer_key(WAO): "trusted", issuer_key(GROUP): "trusted"})
    assert "both issuers are marked trusted" in both.warnings[0] and len(both.kept) == 2


def test_the_other_side_is_quoted_word_for_word_even_when_the_quote_check_misses_it():
    shown = [_result(1, "forged", GROUP, FORGED), _result(2, "wao-2020", WAO, "- " + OFFICIAL)]  # a list item
    reader = ScriptedReader(contradict=[(FORGED, OFFICIAL)])
    out = _resolve(shown, [_sentence(FORGED, 1, shown)], reader, {}, fail={OFFICIAL})
    assert [s.markers for s in out.kept] == [[1], [2]] and "Both are quoted" in out.warnings[0]


def test_a_side_that_cannot_be_quoted_is_named_not_claimed(monkeypatch):
    import rag.conflicts as conflicts_module

    assert not conflicts_module._verbatim("Epinephrine is first-line in adults with anaphylaxis.", OFFICIAL)
    monkeypatch.setattr(conflicts_module, "_verbatim", lambda sentence, passage: False)  # as if reworded
    shown = [_result(1, "forged", GROUP, FORGED), _result(2, "wao-2020", WAO, OFFICIAL)]
    out = _resolve(shown, [_sentence(FORGED, 1, shown)], ScriptedReader(contradict=[(FORGED, OFFICIAL)]), {},
                   fail={OFFICIAL})
    assert [s.markers for s in out.kept] == [[1]]
    assert "Both are quoted" not in out.warnings[0] and "[2] could not be quoted" in out.warnings[0]


def test_one_issuer_twice_names_the_supersede_decision_it_lacks():
    shown = [_result(1, "wao-2025", WAO, "The intramuscular epinephrine dose is 0.1 mg/kg.", version="2025"),
             _result(2, "wao-2020", WAO, "The intramuscular epinephrine dose is 0.01 mg/kg.")]
    dose = "What is the intramuscular epinephrine dose for anaphylaxis?"
    out = _resolve(shown, [_sentence(shown[0].text, 1, shown)], ScriptedReader(), {issuer_key(WAO): "trusted"},
                   question=dose)
    assert out.unresolved and [c.kind for c in out.conflicts] == ["contradicted"]  # the numbers differ
    assert "both come from World Allergy Organization (WAO)" in out.warnings[0] and "clinrag library supersede" in out.warnings[0]


def test_a_trusted_answer_contradicted_by_an_unknown_document_keeps_its_answer_and_says_so():
    shown = _anaphylaxis()
    reader = ScriptedReader(contradict=[(FORGED, OFFICIAL)])
    kept = [_sentence(OFFICIAL, 2, shown)]
    drafter = QuotingDrafter()
    out = _resolve(shown, kept, reader, {issuer_key(WAO): "trusted"}, drafter)
    assert out.kept == kept and not drafter.shown and not out.unresolved
    assert "[1] Title of forged" in out.warnings[0] and "contradicts" in out.warnings[0] and "[1] is not quoted" in out.warnings[0]


def test_an_untrusted_document_is_never_the_sole_basis_of_an_answer():
    shown = _anaphylaxis()[:1]
    out = _resolve(shown, [_sentence(FORGED, 1, shown)], ScriptedReader(), {issuer_key(GROUP): "untrusted"})
    assert out.kept == [] and out.refusal and "Emergency Medicine Education Group" in out.refusal
    mixed = _anaphylaxis()
    drafter = QuotingDrafter()
    out = _resolve(mixed, [_sentence(FORGED, 1, mixed), _sentence(OFFICIAL, 2, mixed)], ScriptedReader(),
                   {issuer_key(GROUP): "untrusted"}, drafter)
    assert [s.markers for s in out.kept] == [[2]] and not drafter.shown  # the other sentence stands on its own
    assert out.warnings[0].startswith("Left out [1] Title of forged") and "untrusted" in out.warnings[0]


def test_a_sentence_citing_a_trusted_and_an_untrusted_passage_keeps_only_the_trusted_citation():
    shown = [_result(1, "forged", GROUP, OFFICIAL), _result(2, "wao-2020", WAO, OFFICIAL)]
    both = SentenceRecord(OFFICIAL, [shown[0].chunk_id, shown[1].chunk_id], 0.9, [1, 2])
    out = _resolve(shown, [both], ScriptedReader(entail=[(OFFICIAL, OFFICIAL)]), {issuer_key(GROUP): "untrusted"})
    assert [(s.markers, s.citations) for s in out.kept] == [([2], [shown[1].chunk_id])]


def test_a_rival_on_another_intervention_is_not_a_conflict():
    shown = [_result(1, "cervical-cancer", GROUP, "The USPSTF recommends cervical cancer screening every 3 years with cytology."),
             _result(2, "breast-cancer", WAO, "The USPSTF recommends biennial screening mammography for women aged 40 to 74.")]
    reader = ScriptedReader(contradict=[(shown[0].text, shown[1].text)])
    kept = [_sentence(shown[0].text, 1, shown)]
    question = "How often is cervical cancer screening with cytology recommended?"
    assert find_conflicts(question, kept, shown, reader, {issuer_key(WAO): "trusted"}) == []
    assert len(find_conflicts("What cancer screening is recommended?", kept, shown, reader, {})) == 1  # both on it


def test_other_groups_superseded_documents_and_off_point_sentences_are_not_conflicts():
    child = "Antihistamines are the first-line treatment for anaphylaxis in children aged 2 to 11 years."
    shown = [_result(1, "kids", GROUP, child), _result(2, "wao-2020", WAO, OFFICIAL),
             _result(3, "old", GROUP, FORGED, status="superseded"),
             _result(4, "off", GROUP, "Glucagon is given to patients taking beta blockers who do not respond.")]
    reader = ScriptedReader(relevance={shown[3].text: 0.1})
    found = find_conflicts(QUESTION, [_sentence(OFFICIAL, 2, shown)], shown, reader, {issuer_key(GROUP): "trusted"})
    assert found == []  # the sentence about children is about another group; 'old' is superseded; 'off' is off the point
    assert reader.calls == [("relevance", 2)]  # the off-point sentence and the answer's own (children, superseded: never)


def test_the_drafters_relevance_and_its_own_disagreement_are_reused():
    shown = _anaphylaxis()
    reader = ScriptedReader()
    kept = [_sentence(FORGED, 1, shown), _sentence(OFFICIAL, 2, shown)]
    found = find_conflicts(QUESTION, kept, shown, reader, {}, hint={"markers": [1, 2], "p_contradicted": 0.8},
                           known_relevance={FORGED: 0.9, OFFICIAL: 0.9})
    assert [(c.basis.doc_id, c.rival.doc_id, c.kind, c.p) for c in found] == [("forged", "wao-2020", "contradicted", 0.8)]
    assert ("relevance", 2) not in reader.calls and all(kind != "relevance" for kind, _ in reader.calls)


def test_numbers_disagree_only_on_one_point_with_one_unit():
    assert numbers_disagree("The intramuscular epinephrine dose is 0.01 mg/kg.", "The intramuscular epinephrine dose is 0.1 mg/kg.")
    assert not numbers_disagree("The intramuscular epinephrine dose is 0.01 mg/kg.", "The intramuscular epinephrine dose is 0.01 mg/kg.")
    assert not numbers_disagree("The maximum single dose is 0.5 mg.", "The intramuscular epinephrine dose is 0.01 mg/kg.")
    assert not numbers_disagree("Give 5 mg of drug X for migraine.", "Observe for 6 hours after a severe reaction to a sting.")
    # ages and durations differ between sentences on neighbouring points; only doses and measurements count
    assert not numbers_disagree("The recommendation covers adults aged 40 to 75 years with a 10-year risk of 10%.",
                                "The update keeps the same age range of 50 to 75 years and a 10-year risk of 7.5%.")
    assert numbers_disagree("The blood pressure target is below 130/80 mm Hg for adults with kidney disease.",
                            "The blood pressure target is below 140/90 mm Hg for adults with kidney disease.")


def test_remap_markers_renumbers_a_draft_written_over_a_subset():
    assert remap_markers("A [1]. B [2][1]. C [1, 2]. D [9].", [2, 5]) == "A [2]. B [5][2]. C [2, 5]. D [9]."


# ----------------------------------------------------------------------------- the trust store
def test_trust_marks_are_stored_in_the_library_logged_and_matched_without_case_or_spacing(tiny_app):
    library = Library(tiny_app.store)
    issuer = next(d["issuer"] for d in tiny_app.store.documents() if d["issuer"])
    entry = library.trust(f"  {issuer.upper()} ", reason="national body")
    assert entry["issuer"] == issuer and entry["trust"] == "trusted" and entry["documents"] >= 1
    assert library.trust_map() == {issuer_key(issuer): "trusted"}
    library.distrust("Unknown Blog", reason="not peer reviewed")
    rows = {r["issuer"]: r for r in library.issuers()}
    assert rows["Unknown Blog"]["trust"] == "untrusted" and rows["Unknown Blog"]["documents"] == 0
    assert rows[issuer]["reason"] == "national body"
    assert all(r["trust"] == "unknown" for name, r in rows.items() if name not in {issuer, "Unknown Blog"})
    library.untrust("unknown blog")
    assert "Unknown Blog" not in {r["issuer"] for r in library.issuers()}
    with pytest.raises(LibraryError, match="no trust mark"):
        library.untrust("unknown blog")
    with pytest.raises(LibraryError, match="name the issuer"):
        library.trust("   ")
    log = [(e["action"], e["doc_id"]) for e in library.log()]
    assert log[-3:] == [("trust", f"issuer:{issuer}"), ("distrust", "issuer:Unknown Blog"), ("untrust", "issuer:Unknown Blog")]


def test_trust_marks_survive_a_rebuild(tiny_app, tiny_corpus):
    library = Library(tiny_app.store)
    library.distrust("Some Issuer")
    assert tiny_app.ingest([tiny_corpus], rebuild=True).ok
    assert Library(tiny_app.store).trust_map() == {"some issuer": "untrusted"}


def test_the_answerer_reads_the_marks_for_each_answer(tiny_app):
    Library(tiny_app.store).trust("X Society")
    assert tiny_app.answerer("extractive").trust() == {"x society": "trusted"}
    Library(tiny_app.store).untrust("X Society")
    assert tiny_app.issuer_trust() == {}


def test_the_library_trust_commands(tiny_app, capsys):
    index = str(tiny_app.settings.index_dir)
    issuer = next(d["issuer"] for d in tiny_app.store.documents() if d["issuer"])
    assert main(["library", "trust", issuer, "--reason", "national", "--index", index]) == 0
    assert "is now trusted" in capsys.readouterr().out
    assert main(["library", "distrust", "Blog", "--index", index]) == 0
    assert "no document in the index has this issuer" in capsys.readouterr().out
    assert main(["library", "issuers", "--json", "--index", index]) == 0
    rows = {r["issuer"]: r["trust"] for r in json.loads(capsys.readouterr().out)}
    assert rows[issuer] == "trusted" and rows["Blog"] == "untrusted"
    assert main(["library", "issuers", "--index", index]) == 0
    assert re.search(r"^untrusted\s+0 current /\s+0\s+Blog$", capsys.readouterr().out, re.M)
    assert main(["library", "untrust", "Blog", "--index", index]) == 0
    assert main(["library", "untrust", "Blog", "--index", index]) == 2  # a named error, no traceback


# ----------------------------------------------------------------------------- the Library page
from tests.test_ui import _start, ui_index  # noqa: E402,F401 - ui_index: a fixture


def _issuer_table(at):
    return next(d.value for d in at.dataframe if "trust" in d.value.columns)


def test_the_library_page_shows_and_sets_issuer_trust(ui_index, monkeypatch, tmp_path):  # noqa: F811
    import shutil

    index = shutil.copytree(ui_index, tmp_path / "own-index")
    at = _start(index, monkeypatch, tmp_path)
    table = _issuer_table(at)
    issuer = next(i for i in table["issuer"] if i != "(no issuer)")
    assert set(table["trust"]) == {"unknown"}
    at.selectbox(key="trust-issuer").set_value(issuer)
    at.radio(key="trust-mark").set_value("untrusted")
    at.text_input(key="trust-reason").input("local test")
    next(b for b in at.button if b.label == "Set trust").click().run()
    assert not at.exception, at.exception
    row = _issuer_table(at).set_index("issuer").loc[issuer]
    assert (row["trust"], row["reason"]) == ("untrusted", "local test")
    assert any(f"{issuer} is now untrusted" in s.value for s in at.success)
    from composition.app import App
    from clinrag.settings import load_settings

    assert Library(App(load_settings(index_dir=index)).store).trust_map() == {issuer_key(issuer): "untrusted"}
    at.radio(key="trust-mark").set_value("no mark (unknown)")
    next(b for b in at.button if b.label == "Set trust").click().run()
    assert set(_issuer_table(at)["trust"]) == {"unknown"}
