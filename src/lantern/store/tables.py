"""The store's tables (SQLAlchemy Core), shared by SQLite and PostgreSQL.

Records are never overwritten: every ingested row becomes records with their source, row
number and the id they carry in their source system; every value is a statement keeping the
original text beside the cleaned value. Alembic migrations in ``migrations/`` create these.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# A case is a compartment: every source (and so every record) belongs to exactly one.
cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("status", String(20), nullable=False, default="open"),  # open | closed
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(200)),
    Column("category", String(100)),  # picks the retention period from the policy
    Column("review_date", Date),
    Column("legal_hold", Text),  # the reason disposal is blocked, or null
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(200), nullable=False, unique=True),
    Column("display_name", String(200)),
    Column("roles", String(500), nullable=False),  # comma-separated role names
    Column("password_hash", String(200)),  # Argon2id
    Column("token_hash", String(200)),  # SHA-256 of the current CLI/API token
    Column("os_user", String(200)),  # the operating-system account mapped to this user
    Column("disabled_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(200)),
)

# Need-to-know: a user sees a case only through an active grant.
case_grants = Table(
    "case_grants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("granted_by", String(200), nullable=False),
    Column("granted_at", DateTime, nullable=False),
    Column("expires_at", DateTime),  # break-glass grants are time-limited
    Column("elevated", Boolean, nullable=False, default=False),  # break-glass: read, though no role gives it
    Column("reason", Text),
    Column("revoked_at", DateTime),
    Column("revoked_by", String(200)),
    Index(None, "user_id", "case_id"),
)

retention_decisions = Table(
    "retention_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("decision", String(20), nullable=False),  # retain | dispose
    Column("rationale", Text, nullable=False),
    Column("next_review", Date),
    Column("decided_by", String(200), nullable=False),
    Column("decided_at", DateTime, nullable=False),
)

# The audit log: append-only (triggers refuse UPDATE and DELETE), each event the canonical
# JSON that was hashed, its Merkle leaf hash and a running hash chain.
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("username", String(200), nullable=False),
    Column("case_id", Integer),
    Column("action", String(20), nullable=False),
    Column("operation", String(100), nullable=False),
    Column("event_json", Text, nullable=False),
    Column("leaf_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Index(None, "username"),
    Index(None, "case_id"),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),
    Column("text", Text, nullable=False),  # the signed checkpoint, as written to the witness file
    Column("created_at", String(40), nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("file_path", String(2000), nullable=False),  # as given when loaded
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("format", String(20), nullable=False),
    Column("encoding", String(40)),
    Column("delimiter", String(4)),
    Column("profile_name", String(200), nullable=False),
    Column("profile_sha256", String(64), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_loaded", Integer, nullable=False),
    Column("rows_quarantined", Integer, nullable=False),
    Column("loaded_at", DateTime, nullable=False),
    Column("loaded_by", String(200), nullable=False),
    Column("lantern_version", String(40), nullable=False),
    UniqueConstraint("case_id", "sha256"),
)

records = Table(
    "records",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("source_id", Integer, ForeignKey("sources.id"), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("alias", String(100), nullable=False),  # the entity's name in the mapping profile
    Column("schema", String(100), nullable=False),
    Column("namespace", String(200), nullable=False),
    Column("source_record_id", String(200)),  # the id the record carries in its own system
    Index(None, "source_id"),
    Index(None, "schema"),
    Index(None, "namespace", "source_record_id"),
)

statements = Table(
    "statements",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("record_id", BigInteger, ForeignKey("records.id"), nullable=False),
    Column("prop", String(100), nullable=False),
    Column("original", Text, nullable=False),
    Column("value", Text),  # null when the original could not be cleaned
    Column("quality", String(200)),  # a note on a value that loaded but needs care
    Index(None, "record_id"),
    Index(None, "prop", "value"),
)

links = Table(
    "links",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("source_id", Integer, ForeignKey("sources.id"), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("type", String(100), nullable=False),
    Column("from_record_id", BigInteger, ForeignKey("records.id"), nullable=False),
    Column("to_record_id", BigInteger, ForeignKey("records.id"), nullable=False),
    Column("properties", Text),  # JSON object of cleaned link properties
    Index(None, "from_record_id"),
    Index(None, "to_record_id"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("source_id", Integer, ForeignKey("sources.id"), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("field", String(200)),
    Column("raw_value", Text),
    Column("reason", Text, nullable=False),
    Column("action", String(20), nullable=False),  # 'row rejected' | 'value rejected'
    Index(None, "source_id"),
)

# Entity resolution: each run keeps its model (Splink JSON), its clusters and scored pairs,
# so any result can be explained and an old one reproduced. Records are never edited.
resolution_runs = Table(
    "resolution_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("schema", String(100), nullable=False),  # Person for now
    Column("algorithm_version", String(100), nullable=False),
    Column("engine", String(20), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("pairs_run_id", Integer),  # the run whose scored pairs this clustering used
    Column("model_json", Text, nullable=False),
    Column("stats_json", Text, nullable=False),
    Column("run_by", String(200), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=False),
    Index(None, "case_id", "schema"),
)

resolution_clusters = Table(
    "resolution_clusters",
    metadata,
    Column("run_id", Integer, ForeignKey("resolution_runs.id"), primary_key=True),
    Column("record_id", BigInteger, ForeignKey("records.id"), primary_key=True),
    Column("entity_id", String(100), nullable=False),
    Index(None, "run_id", "entity_id"),
)

resolution_pairs = Table(
    "resolution_pairs",
    metadata,
    Column("run_id", Integer, ForeignKey("resolution_runs.id"), primary_key=True),
    Column("record_a", BigInteger, primary_key=True),
    Column("record_b", BigInteger, primary_key=True),
    Column("match_weight", Float, nullable=False),
    Column("match_probability", Float, nullable=False),
    Column("detail_json", Text, nullable=False),  # per comparison: level, Bayes factor, values
    Column("held_reason", Text),  # why the over-merge guard kept them apart
    Index(None, "run_id", "record_b"),
)

# Analysts' decisions: append-only and attributed; the latest on a pair wins.
judgements = Table(
    "judgements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("record_a", BigInteger, ForeignKey("records.id"), nullable=False),
    Column("record_b", BigInteger, ForeignKey("records.id"), nullable=False),
    Column("decision", String(20), nullable=False),  # same | different | unsure
    Column("reason", Text, nullable=False),
    Column("username", String(200), nullable=False),
    Column("at", DateTime, nullable=False),
    Index(None, "case_id"),
)


# The network: each build keeps its edges (typed, weighted, dated, with evidence) and groups.
network_runs = Table(
    "network_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("resolution_run_id", Integer, ForeignKey("resolution_runs.id"), nullable=False),
    Column("algorithm_version", String(100), nullable=False),
    Column("params_json", Text, nullable=False),
    Column("stats_json", Text, nullable=False),
    Column("run_by", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index(None, "case_id"),
)

network_edges = Table(
    "network_edges",
    metadata,
    Column("run_id", Integer, ForeignKey("network_runs.id"), primary_key=True),
    Column("entity_a", String(100), primary_key=True),
    Column("entity_b", String(100), primary_key=True),
    Column("type", String(50), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("weight", Float, nullable=False),
    Column("first_seen", String(40)),
    Column("last_seen", String(40)),
    Column("evidence_json", Text, nullable=False),  # record ids behind the edge (a sample)
    Index(None, "run_id", "entity_b"),
)

network_groups = Table(
    "network_groups",
    metadata,
    Column("run_id", Integer, ForeignKey("network_runs.id"), primary_key=True),
    Column("entity_id", String(100), primary_key=True),
    Column("group_id", String(50), nullable=False),
    Column("role", String(50), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("scores_json", Text, nullable=False),
    Column("reason", Text, nullable=False),
)


# Text extraction: each run keeps the lexicon version that made it; each mention its span.
text_runs = Table(
    "text_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("lexicon_version", String(40), nullable=False),
    Column("algorithm_version", String(100), nullable=False),
    Column("run_by", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("stats_json", Text, nullable=False),
    Index(None, "case_id"),
)

text_mentions = Table(
    "text_mentions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("run_id", Integer, ForeignKey("text_runs.id"), nullable=False),
    Column("record_id", BigInteger, ForeignKey("records.id"), nullable=False),
    Column("prop", String(100), nullable=False),
    Column("span_start", Integer, nullable=False),  # the statement's original text [span_start:span_end]
    Column("span_end", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("value", Text, nullable=False),  # as written
    Column("normalised", Text, nullable=False),
    Column("entity_id", String(100)),
    Column("link_method", String(50)),
    Column("confidence", Float),
    Column("negated", Boolean, nullable=False),
    Column("uncertain", Boolean, nullable=False),
    Column("indicator_id", String(100)),  # the lexicon entry, or the concern phrase
    Index(None, "run_id", "record_id"),
    Index(None, "run_id", "kind"),
)


# The web workbench's logged-in browsers, shared by every server process. Only a digest of each
# session's secret id is kept: reading this table does not let anyone ride a session.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),  # sha256 of the session id (the cookie's secret)
    Column("username", String(200), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("started", Float, nullable=False),  # seconds since the epoch, by the server's clock
    Column("last_seen", Float, nullable=False),
    Index(None, "username"),
)
