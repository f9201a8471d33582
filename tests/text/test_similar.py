"""`lantern similar`: lexical ranking on hand-made reports, both methods on the demo scenario
against the generator's truth (reports about the same planted group rank together), the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from lantern.cli import app
from lantern.errors import LanternError
from lantern.store import Workspace, tables
from lantern.text import embed
from lantern.text.similar import Report, load_reports, rank_similar, resolve, tokens

from ..conftest import copy_workspace
from .similar_eval import group_auc, report_groups

runner = CliRunner()
# Measured on the demo scenario (seed 1): lexical 0.69, semantic 0.63; chance is 0.5. The
# generator writes group intelligence from four templates, so two reports of one template
# share most words whichever group they are about; what ties a group's reports together is
# the alias, vehicle, premises and phone they name.
LEXICAL_FLOOR = 0.64
SEMANTIC_FLOOR = 0.58


def _report(rid: int, text: str) -> Report:
    return Report(rid, "IntelligenceReport", "2024-01-01", "intel.csv", f"IR/{rid}", text)


HAND_MADE = [
    _report(1, "Source reports a male known as 'Tank' collects girls from Rosebank Takeaway in a silver "
               "car, VRM ZX12 ABC, and drives them to addresses in Holtby."),
    _report(2, "A male known as 'Tank' is said to collect girls from Rosebank Takeaway in a silver car, "
               "VRM ZX12 ABC, driving them to Holtby."),
    _report(3, "Vehicle ZX12 ABC seen outside Rosebank Takeaway late at night."),
    _report(4, "Theft of a pedal bicycle from a garden shed; no witnesses."),
    _report(5, "Shoplifting at a supermarket: two bottles of wine taken."),
]


def test_a_near_duplicate_ranks_first_and_an_unrelated_report_last_or_not_at_all():
    ranking = rank_similar(HAND_MADE, record_id=1, limit=10, method="lexical")
    ids = [h.report.record_id for h in ranking.hits]
    assert ranking.method == "lexical" and ranking.compared == 4
    assert ids[0] == 2 and ids[1] == 3
    assert 1 not in ids  # the query itself is left out
    assert 4 not in ids and 5 not in ids  # nothing in common: not shown at all
    assert ranking.hits[0].score > ranking.hits[1].score > 0
    assert all(h.rank == n for n, h in enumerate(ranking.hits, start=1))


def test_the_reason_names_the_shared_distinctive_terms():
    hit = rank_similar(HAND_MADE, record_id=3, limit=1, method="lexical").hits[0]
    assert {"zx12", "abc", "rosebank", "takeaway"} <= set(hit.shared)
    assert "shares: " in hit.reason() and "rosebank" in hit.reason()
    assert not set(hit.shared) & {"the", "a", "of"}


def test_a_query_text_ranks_too_and_the_ranking_is_the_same_every_time():
    first = rank_similar(HAND_MADE, text="bicycle stolen from a shed", method="lexical")
    again = rank_similar(HAND_MADE, text="bicycle stolen from a shed", method="lexical")
    assert [h.report.record_id for h in first.hits] == [h.report.record_id for h in again.hits] == [4]


def test_a_scrubbed_term_is_never_given_as_a_reason():
    def hide(text: str) -> str:
        return text.replace("Rosebank", "[redacted 0a1b2c3d4e]")

    hit = rank_similar(HAND_MADE, record_id=3, limit=1, method="lexical", visible=hide).hits[0]
    assert "rosebank" not in hit.shared and "takeaway" in hit.shared


@pytest.mark.parametrize("text", ["", "   \n\t", "...!!!", "the and of a"])
def test_a_query_with_no_words_finds_nothing_and_says_why(text: str):
    ranking = rank_similar(HAND_MADE, text=text, method="lexical")
    assert ranking.hits == [] and ranking.note


def test_hostile_input_does_not_break_the_ranking():
    huge = "Rosebank " * 300_000 + "\x00\ufeff\u202e" + "🙂" * 1000
    reports = [*HAND_MADE, _report(6, huge), _report(7, ""), _report(8, "x" * 50_000)]
    ranking = rank_similar(reports, text=huge, method="lexical")
    assert ranking.hits and ranking.hits[0].report.record_id == 6
    assert rank_similar(reports, record_id=6, method="lexical").hits
    assert rank_similar([], text="anything", method="lexical").hits == []
    assert tokens("Ünïcode naïve café, 07700 900123") == ["ünïcode", "naïve", "café", "07700", "900123"]


def test_mistakes_are_lantern_errors():
    with pytest.raises(LanternError, match="no free text"):
        rank_similar(HAND_MADE, record_id=99, method="lexical")
    with pytest.raises(LanternError, match="not both"):
        rank_similar(HAND_MADE, record_id=1, text="x", method="lexical")
    with pytest.raises(LanternError, match="--method"):
        resolve("fuzzy")
    with pytest.raises(LanternError, match="--limit"):
        rank_similar(HAND_MADE, record_id=1, limit=0, method="lexical")


def test_auto_says_which_method_ran_and_semantic_without_the_extra_names_the_install(monkeypatch):
    monkeypatch.setattr(embed, "available", lambda: False)
    assert resolve("auto") == "lexical"
    assert rank_similar(HAND_MADE, record_id=1, method="auto").method == "lexical"
    with pytest.raises(LanternError, match=r"pip install 'lantern\[semantic\]'"):
        resolve("semantic")


def test_auto_falls_back_to_lexical_when_the_model_cannot_load(monkeypatch):
    def broken(texts: list[str]) -> np.ndarray:
        raise LanternError("the model could not be loaded")

    monkeypatch.setattr(embed, "available", lambda: True)
    ranking = rank_similar(HAND_MADE, record_id=1, method="auto", encoder=broken)
    assert ranking.method == "lexical" and "unavailable" in ranking.note
    assert ranking.hits[0].report.record_id == 2
    with pytest.raises(LanternError, match="could not be loaded"):
        rank_similar(HAND_MADE, record_id=1, method="semantic", encoder=broken)


@pytest.fixture(scope="module")
def demo_reports(text_demo: Path) -> tuple[list[Report], dict[int, frozenset[str]]]:
    ws = Workspace(str(text_demo / "lantern.db"))
    with ws.reader() as conn:
        reports = load_reports(conn, 1)
        groups = report_groups(conn, 1, text_demo / "scenario")
    ws.dispose()
    return reports, groups


def test_lexical_ranks_reports_of_the_same_group_together_on_the_demo(demo_reports):
    reports, groups = demo_reports
    auc, queries = group_auc(reports, groups, "lexical")
    print(f"lexical: a same-group report ranks above another group's or a background report "
          f"{auc:.3f} of the time (mean over {queries} group intelligence reports; chance 0.5)")
    assert queries >= 20
    assert auc >= LEXICAL_FLOOR


def test_semantic_ranks_reports_of_the_same_group_together_on_the_demo(demo_reports):
    pytest.importorskip(embed.MODEL_PACKAGE)
    pytest.importorskip("sentence_transformers")
    reports, groups = demo_reports
    memo: dict[str, np.ndarray] = {}

    def cached(texts: list[str]) -> np.ndarray:
        # Each report is embedded once for all the queries, not once per query.
        new = [t for t in dict.fromkeys(texts) if t not in memo]
        if new:
            memo.update(zip(new, embed.encode(new), strict=True))
        return np.stack([memo[t] for t in texts])

    auc, queries = group_auc(reports, groups, "semantic", cached)
    print(f"semantic: a same-group report ranks above another group's or a background report "
          f"{auc:.3f} of the time (mean over {queries} group intelligence reports; chance 0.5)")
    assert queries >= 20
    assert auc >= SEMANTIC_FLOOR
    # Meaning without shared words: a paraphrase finds the car-collection reports.
    found = rank_similar(reports, text="an older man picks up young girls in his vehicle", limit=5,
                         method="semantic", encoder=cached)
    assert found.method == "semantic"
    assert any("car" in h.report.text.lower() or "vehicle" in h.report.text.lower() for h in found.hits)


@pytest.fixture(scope="module")
def workspace(text_demo: Path, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("similar")
    copy_workspace(text_demo, folder)
    return folder


def _intel_with_a_victim(folder: Path) -> tuple[int, list[str]]:
    """An intelligence report and the names of the recorded victims (to check none is shown)."""
    from lantern.security.pseudonymise import NAMES, victim_record_ids

    ws = Workspace(str(folder / "lantern.db"))
    r, s = tables.records, tables.statements
    with ws.reader() as conn:
        victims = victim_record_ids(conn, 1)
        names = [str(v) for (v,) in conn.execute(select(s.c.original).where(
            s.c.record_id.in_(victims), s.c.prop.in_(NAMES))) if v and len(v) >= 3]
        intel = conn.execute(select(r.c.id).where(r.c.case_id == 1, r.c.schema == "IntelligenceReport")
                             .order_by(r.c.id)).scalars().first()
    ws.dispose()
    assert intel is not None and names
    return int(intel), names


def test_cli_similar_prints_ranked_scrubbed_reports_and_is_audited(workspace: Path):
    record, names = _intel_with_a_victim(workspace)
    base = ["--db", str(workspace / "lantern.db"), "--user", "lead"]
    result = runner.invoke(app, [*base, "similar", str(record), "--method", "lexical", "--limit", "5"],
                           env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Method: lexical" in result.output and "shares:" in result.output
    assert "IntelligenceReport" in result.output
    shown = result.output.casefold()
    assert not [n for n in names if n.casefold() in shown]

    text = runner.invoke(app, [*base, "similar", "--text", "girls collected in a car", "--method", "lexical"],
                         env={"COLUMNS": "250"})
    assert text.exit_code == 0, text.output
    assert "rank" in text.output and "shares:" in text.output

    ws = Workspace(str(workspace / "lantern.db"))
    with ws.reader() as conn:
        events = [json.loads(e) for e in conn.execute(
            select(tables.audit_events.c.event_json).where(tables.audit_events.c.operation == "similar")
            .order_by(tables.audit_events.c.seq)).scalars()]
    ws.dispose()
    assert len(events) == 2
    assert "girls collected" not in json.dumps(events)  # the query's length is audited, never its text


def test_cli_similar_refuses_mistakes_in_one_line(workspace: Path, monkeypatch):
    base = ["--db", str(workspace / "lantern.db"), "--user", "lead"]
    for args, message in ((["similar"], "RECORD_ID or --text"),
                          (["similar", "1", "--text", "x"], "not both"),
                          (["similar", "999999999", "--method", "lexical"], "no free text"),
                          (["similar", "1", "--method", "nope"], "--method must be one of")):
        result = runner.invoke(app, [*base, *args])
        assert result.exit_code == 1 and message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    monkeypatch.setattr(embed, "available", lambda: False)
    result = runner.invoke(app, [*base, "similar", "1", "--method", "semantic"])
    assert result.exit_code == 1 and "pip install" in result.output
