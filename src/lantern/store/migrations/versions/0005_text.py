"""text extraction runs and mentions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "text_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("lexicon_version", sa.String(length=40), nullable=False),
        sa.Column("algorithm_version", sa.String(length=100), nullable=False),
        sa.Column("run_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("stats_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_text_runs_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_runs")),
    )
    with op.batch_alter_table("text_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_text_runs_case_id"), ["case_id"], unique=False)

    op.create_table(
        "text_mentions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("prop", sa.String(length=100), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("normalised", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=True),
        sa.Column("link_method", sa.String(length=50), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("negated", sa.Boolean(), nullable=False),
        sa.Column("uncertain", sa.Boolean(), nullable=False),
        sa.Column("indicator_id", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], name=op.f("fk_text_mentions_record_id_records")),
        sa.ForeignKeyConstraint(["run_id"], ["text_runs.id"], name=op.f("fk_text_mentions_run_id_text_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_mentions")),
    )
    with op.batch_alter_table("text_mentions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_text_mentions_run_id_record_id"), ["run_id", "record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_text_mentions_run_id_kind"), ["run_id", "kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("text_mentions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_text_mentions_run_id_kind"))
        batch_op.drop_index(batch_op.f("ix_text_mentions_run_id_record_id"))
    op.drop_table("text_mentions")
    with op.batch_alter_table("text_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_text_runs_case_id"))
    op.drop_table("text_runs")
