"""`lantern similar`: find reports like this one, by meaning where the extra is installed, by
shared distinctive words otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from lantern.commands.context import session_of
from lantern.errors import LanternError
from lantern.output import console, table_of
from lantern.security.policy import Permission
from lantern.security.pseudonymise import Pseudonymiser
from lantern.text.similar import Ranking, load_reports, rank_similar, resolve

SNIPPET = 160  # characters of each report shown


def similar(
    ctx: typer.Context,
    record_id: Annotated[int | None, typer.Argument(help="A record id: find reports like this one.")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Find reports like this text instead.")] = None,
    limit: Annotated[int, typer.Option(help="How many reports to show.")] = 10,
    method: Annotated[str, typer.Option(help="auto (semantic where the `semantic` extra is installed, else "
                                             "lexical), semantic or lexical.")] = "auto",
) -> None:
    """Reports like one report (by record id) or like a text, most alike first, each with its
    score and the distinctive words it shares. Victims' identifiers are scrubbed from what is shown."""
    if (record_id is None) == (text is None):
        raise LanternError("give a RECORD_ID or --text, not both")
    if limit < 1:
        raise LanternError("--limit must be 1 or more")
    chosen = resolve(method)  # before the case is opened: a missing extra is the user's to fix
    session = session_of(ctx)
    with session.case_action(Permission.READ, "similar", "CONSULT") as (conn, case, note):
        reports = load_reports(conn, case.id)
        # Built in the transaction, used after it: it keeps only the victims' identifiers.
        pseudonymiser = Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key)
        note.objects = [f"record:{record_id}"] if record_id is not None else []
        # The length of a free-text query, never the text: it may name a child.
        note.detail = {"method": method, "runs": chosen, "limit": limit, "reports": len(reports),
                       "query": "record" if record_id is not None else f"text ({len(text or '')} characters)"}
    # Ranked outside the transaction: loading a model and embedding a case's reports takes
    # seconds, and the workspace's write lock is not held for them.

    def scrub(value: str) -> str:
        return pseudonymiser.scrub(value) or ""

    ranking = rank_similar(reports, record_id=record_id, text=text, limit=limit, method=method, visible=scrub)
    render(ranking, scrub)


def render(ranking: Ranking, scrub: Callable[[str], str]) -> None:
    how = {"semantic": "semantic (all-MiniLM-L6-v2 sentence embeddings, cosine similarity)",
           "lexical": "lexical (TF-IDF over words, cosine similarity)"}[ranking.method]
    console.print(f"Method: {how}" + (f"; {ranking.note}" if ranking.note and ranking.hits else "")
                  + f". {ranking.compared:,} reports compared.")
    if not ranking.hits:
        console.print(f"No similar report: {ranking.note or 'nothing to show'}.")
        return
    console.print(table_of(
        f"Reports most like the query (showing {len(ranking.hits)}; victims' identifiers scrubbed)",
        ("rank", "score", "record", "type", "date", "source", "report (and why it is alike)"),
        ((str(h.rank), f"{h.score:.3f}", str(h.report.record_id), h.report.schema, h.report.date, h.report.source,
          f"{_snippet(scrub(h.report.text))}\n{scrub(h.reason())}") for h in ranking.hits)))


def _snippet(text: str) -> str:
    # Scrubbed first, cut after: a name is never shown in part at the cut.
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET else flat[:SNIPPET - 3].rstrip() + "..."
