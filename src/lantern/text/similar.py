"""Find reports like this one: a case's free-text records ranked by similarity to a report or a text.

Two methods:

* **lexical** (always there): TF-IDF over word tokens with BM25's idf (never zero or negative,
  so a tiny case still ranks), sub-linear term frequency and cosine similarity. Each hit's
  reason is the distinctive terms it shares with the query, heaviest first.
* **semantic** (the optional `semantic` extra, lantern.text.embed): cosine similarity of
  all-MiniLM-L6-v2 sentence embeddings, so "collected in a car" finds "picked up by a
  driver" with no word in common. The shared terms are still given as a reason, where any.

``auto`` uses semantic where the extra is installed, lexical otherwise, and says which ran.
A "report" is one record: all its free-text values together.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sqlalchemy import Connection, select

from lantern.errors import LanternError
from lantern.store import tables
from lantern.text import embed
from lantern.text.extract import MAX_TEXT
from lantern.text.service import _texts

METHODS = ("auto", "semantic", "lexical")
SHARED_SHOWN = 6  # terms in a hit's reason
# Function words carry no topic; record boilerplate ("reported", "seen") is left in, since idf
# already weighs down what every report says.
_FUNCTION_WORDS = """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me
more most my myself no nor not now of off on once only or other our ours ourselves out over own
same she should so some such than that the their theirs them themselves then there these they
this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself yourselves
"""
STOPWORDS = frozenset(_FUNCTION_WORDS.split())
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens of a text, function words and single letters left out."""
    return [t for t in _WORD.findall(text[:MAX_TEXT].casefold())
            if t not in STOPWORDS and (len(t) > 1 or t.isdigit())]


@dataclass(frozen=True)
class Report:
    record_id: int
    schema: str
    date: str
    source: str
    reference: str
    text: str


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    report: Report
    shared: tuple[str, ...]  # distinctive terms in common with the query, heaviest first

    def reason(self) -> str:
        return ("shares: " + ", ".join(self.shared)) if self.shared else "no word in common (close in meaning)"


@dataclass
class Ranking:
    method: str  # the method that ran: semantic or lexical
    requested: str
    compared: int  # reports ranked against the query
    hits: list[Hit] = field(default_factory=list)
    note: str = ""  # why the method differs from the one asked for, or why nothing was found


def load_reports(conn: Connection, case_id: int) -> list[Report]:
    """Every record of the case with free text, oldest record id first."""
    texts: dict[int, list[str]] = {}
    for record_id, _prop, original in _texts(conn, case_id):
        if original and original.strip():
            texts.setdefault(record_id, []).append(original)
    if not texts:
        return []
    r, s, src = tables.records, tables.statements, tables.sources
    about: dict[int, tuple[str, str, str]] = {}
    ids = sorted(texts)
    for chunk in range(0, len(ids), 900):  # within SQLite's bound-parameter limit
        part = ids[chunk:chunk + 900]
        for rid, schema, source, ref in conn.execute(
                select(r.c.id, r.c.schema, src.c.file_name, r.c.source_record_id)
                .join(src, src.c.id == r.c.source_id).where(r.c.id.in_(part))):
            about[int(rid)] = (schema, source, ref or "")
    dates: dict[int, str] = {}
    for rid, value in conn.execute(
            select(s.c.record_id, s.c.value).join(r, r.c.id == s.c.record_id)
            .where(r.c.case_id == case_id, s.c.prop == "date", s.c.value.is_not(None))
            .order_by(s.c.id)):
        dates.setdefault(int(rid), str(value)[:10])
    return [Report(rid, about[rid][0], dates.get(rid, ""), about[rid][1], about[rid][2], "\n".join(texts[rid]))
            for rid in ids if rid in about]


class LexicalIndex:
    """TF-IDF vectors of a set of texts (rows unit length), built with numpy and scipy only."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tf: list[float] = []
        for i, text in enumerate(texts):
            for term, n in Counter(tokens(text)).items():
                rows.append(i)
                cols.append(self.vocab.setdefault(term, len(self.vocab)))
                tf.append(1.0 + math.log(n))  # sub-linear: a word said ten times is not ten times the topic
        n_docs = len(texts)
        matrix = sparse.csr_matrix((tf, (rows, cols)), shape=(n_docs, len(self.vocab)), dtype=np.float64)
        df = np.bincount(matrix.indices, minlength=len(self.vocab)).astype(np.float64)
        # BM25's idf: rare terms weigh most, a term in every report weighs little but never zero.
        self.idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        self.unseen_idf = float(np.log1p((n_docs + 0.5) / 0.5))
        weighted = sparse.csr_matrix(matrix.multiply(self.idf[np.newaxis, :]))
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self.matrix = sparse.csr_matrix(sparse.diags(1.0 / norms) @ weighted)

    def query(self, text: str) -> dict[str, float]:
        """The query's unit-length term weights (terms no report has count towards its length)."""
        weights: dict[str, float] = {}
        for term, n in Counter(tokens(text)).items():
            j = self.vocab.get(term)
            weights[term] = (1.0 + math.log(n)) * (self.idf[j] if j is not None else self.unseen_idf)
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    def scores(self, weights: dict[str, float]) -> np.ndarray:
        vector = np.zeros(len(self.vocab))
        for term, w in weights.items():
            if (j := self.vocab.get(term)) is not None:
                vector[j] = w
        return np.asarray(self.matrix @ vector).ravel()

    def shared(self, weights: dict[str, float], row: int, allowed: set[str] | None = None) -> tuple[str, ...]:
        """Terms a report shares with the query, by their share of the score."""
        start, end = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        names = {self.vocab[t]: t for t in weights if t in self.vocab}
        parts = [(float(self.matrix.data[k]) * weights[names[j]], names[j])
                 for k in range(start, end) if (j := int(self.matrix.indices[k])) in names]
        return tuple(t for _, t in sorted(parts, key=lambda x: (-x[0], x[1]))
                     if allowed is None or t in allowed)[:SHARED_SHOWN]


def resolve(method: str) -> str:
    """The method that will run for the one asked for."""
    if method not in METHODS:
        raise LanternError(f"--method must be one of {', '.join(METHODS)}, not {method!r}")
    if method == "semantic" and not embed.available():
        raise LanternError(f"--method semantic needs the optional extra, which is not installed: {embed.INSTALL}")
    if method == "auto":
        return "semantic" if embed.available() else "lexical"
    return method


def rank_similar(reports: Sequence[Report], *, record_id: int | None = None, text: str | None = None,
                 limit: int = 10, method: str = "auto",
                 visible: Callable[[str], str] | None = None,
                 encoder: Callable[[list[str]], np.ndarray] = embed.encode,
                 index: LexicalIndex | None = None) -> Ranking:
    """The ``limit`` reports most like one report (by record id, itself left out) or a text.

    ``visible`` is how a text will be shown (a scrub of victims' identifiers): a shared term is
    given as a reason only if it is still there once both texts are scrubbed, so a reason can
    never name what a snippet hides. ``encoder`` turns texts into unit vectors (the packaged
    model unless a caller that ranks many queries brings a cached one); ``index``, the lexical
    index of ``reports`` for a text query, likewise.
    """
    if (record_id is None) == (text is None):
        raise LanternError("give a record id or a text to compare with, not both")
    if limit < 1:
        raise LanternError("--limit must be 1 or more")
    chosen = resolve(method)
    if record_id is not None:
        found = next((r for r in reports if r.record_id == record_id), None)
        if found is None:
            raise LanternError(f"record {record_id} has no free text in this case")
        query = found.text
    else:
        query = text or ""
    candidates = [r for r in reports if r.record_id != record_id]
    ranking = Ranking(chosen, method, len(candidates))
    if not tokens(query):
        ranking.note = "the query has no words to compare"
        return ranking
    if not candidates:
        ranking.note = "no other report with free text in this case"
        return ranking
    if index is None or record_id is not None:  # a record's own row must not be in the index
        index = LexicalIndex([r.text for r in candidates])
    weights = index.query(query)
    scores: np.ndarray | None = None
    if chosen == "semantic":
        try:
            vectors = encoder([query, *(r.text for r in candidates)])
            scores = vectors[1:] @ vectors[0]
        except LanternError as exc:
            if method == "semantic":
                raise
            # auto: a broken extra must not stop the search; say so, and rank lexically.
            ranking.method, ranking.note = "lexical", f"semantic ranking unavailable ({exc})"
            chosen = "lexical"
    if scores is None:
        scores = index.scores(weights)
    # Highest score first; equal scores by record id, so a ranking is the same every time.
    order = np.lexsort((np.arange(len(candidates)), -scores))
    allowed = set(tokens(visible(query))) if visible is not None else None
    for i in order:
        if len(ranking.hits) == limit:
            break
        score = float(scores[i])
        if chosen == "lexical" and score <= 0:
            break  # nothing in common: not "like" the query at all
        shown = allowed & set(tokens(visible(candidates[i].text))) if visible is not None and allowed is not None \
            else None
        ranking.hits.append(Hit(len(ranking.hits) + 1, score, candidates[i], index.shared(weights, int(i), shown)))
    if not ranking.hits:
        ranking.note = "no report shares a word with the query"
    return ranking
