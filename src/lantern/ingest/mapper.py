"""Apply a mapping profile to one row: the records, statements and links it yields.

A row is rejected whole (row quarantine) when it cannot be read, or when an entity's id or a
required property is missing or invalid. Any other value that fails cleaning keeps its
original text as a statement with no cleaned value and is reported as a rejected value, so
nothing the source said is lost.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from lantern.errors import LanternError
from lantern.ingest.profile import EntityMapping, Profile, PropertyMapping
from lantern.ingest.readers import Row, Table
from lantern.model.types import Cleaned

ROW_REJECTED = "row rejected"
VALUE_REJECTED = "value rejected"


@dataclass(slots=True)
class StatementOut:
    prop: str
    original: str
    value: str | None
    quality: str | None


@dataclass(slots=True)
class RecordOut:
    alias: str
    schema: str
    namespace: str
    source_record_id: str | None
    statements: list[StatementOut]


@dataclass(slots=True)
class LinkOut:
    type: str
    source: str  # aliases within the row
    target: str
    properties: dict[str, str]


@dataclass(slots=True)
class Issue:
    row: int
    field: str | None
    raw: str | None
    reason: str
    action: str


@dataclass(slots=True)
class MappedRow:
    number: int
    records: list[RecordOut] = field(default_factory=list)
    links: list[LinkOut] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rejected: bool = False


def resolve_columns(profile: Profile, table: Table) -> dict[str, str]:
    """Map each column the profile names onto the file's header (exact, then ignoring case)."""
    by_folded = {h.strip().casefold(): h for h in table.header}
    resolved: dict[str, str] = {}
    missing = []
    for column, line in profile.column_lines.items():
        if column in table.header:
            resolved[column] = column
        elif column.strip().casefold() in by_folded:
            resolved[column] = by_folded[column.strip().casefold()]
        else:
            missing.append(f"{column!r} (profile line {line})")
    if missing:
        shown = ", ".join(table.header[:12]) + (" ..." if len(table.header) > 12 else "")
        raise LanternError(
            f"{table.path}: lacks column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"named by profile {profile.name}; the file's columns are: {shown}"
        )
    return resolved


class RowMapper:
    def __init__(self, profile: Profile, table: Table) -> None:
        self.profile = profile
        self.columns = resolve_columns(profile, table)
        # Most files name their columns as the profile does: then rows need no renaming.
        self.renamed = any(column != actual for column, actual in self.columns.items())
        self.max_field = profile.max_field_bytes

    def _values(self, row: Row) -> dict[str, str]:
        if not self.renamed:
            return row.values
        return {column: row.values.get(actual, "") for column, actual in self.columns.items()}

    @staticmethod
    def _clean(mapping: PropertyMapping, values: dict[str, str]) -> list[tuple[str, str, Cleaned]]:
        if len(mapping.columns) == 1 and mapping.join is None and not mapping.value_map:
            column = mapping.columns[0]
            raw = values.get(column, "")
            if not raw or raw.isspace():
                return []
            return [(column, raw, mapping.prop.type.clean(raw, mapping.options))]
        return [
            (field_name, raw, mapping.prop.type.clean(mapping.translate(raw), mapping.options))
            for field_name, raw in mapping.raw_values(values)
        ]

    def map(self, row: Row) -> MappedRow:
        result = MappedRow(row.number)
        if row.error is not None:
            return self._reject(result, row.field, row.raw, row.error)
        values = self._values(row)
        if values and max(map(len, values.values())) > self.max_field:
            oversized = next(c for c, v in values.items() if len(v) > self.max_field)
            size = len(values[oversized].encode("utf-8", "surrogateescape"))
            reason = (
                f"field {oversized!r} is {size:,} bytes; the limit is {self.max_field:,} "
                "(raise max_field_bytes in the profile to accept it)"
            )
            return self._reject(result, oversized, raw_row(row.values), reason)
        present: set[str] = set()
        for entity in self.profile.entities:
            record = self._entity(entity, values, result)
            if result.rejected:
                result.issues[0].raw = raw_row(row.values)
                return result
            if record is not None:
                result.records.append(record)
                present.add(entity.alias)
        for link in self.profile.links:
            if link.source in present and link.target in present:
                props = {}
                for mapping in link.properties:
                    for field_name, raw, cleaned in self._clean(mapping, values):
                        if cleaned.ok and cleaned.value is not None:
                            props[mapping.prop.name] = cleaned.value
                        elif not cleaned.ok:
                            result.issues.append(
                                Issue(
                                    row.number,
                                    field_name,
                                    raw,
                                    f"link {link.type}: {cleaned.error}",
                                    VALUE_REJECTED,
                                )
                            )
                result.links.append(LinkOut(link.type, link.source, link.target, props))
        return result

    def _entity(
        self, entity: EntityMapping, values: dict[str, str], result: MappedRow
    ) -> RecordOut | None:
        source_id = values.get(entity.id_column, "").strip() if entity.id_column else None
        statements: list[StatementOut] = []
        rejected_required: list[str] = []
        for mapping in entity.properties:
            name = mapping.prop.name
            for field_name, raw, cleaned in self._clean(mapping, values):
                if cleaned.ok:
                    if cleaned.value is not None:
                        statements.append(StatementOut(name, raw, cleaned.value, cleaned.quality))
                    continue
                if name in entity.required:
                    rejected_required.append(f"{field_name}: {cleaned.error}")
                    continue
                statements.append(StatementOut(name, raw, None, None))
                result.issues.append(
                    Issue(
                        result.number, field_name, raw, cleaned.error or "invalid", VALUE_REJECTED
                    )
                )
        if not source_id and not statements:
            return None  # this row does not mention the entity (no victim on this crime, say)
        if rejected_required:
            self._reject(result, None, None, f"{entity.alias}: " + "; ".join(rejected_required))
            return None
        missing = sorted(entity.required - {s.prop for s in statements if s.value is not None})
        if missing:
            self._reject(
                result, None, None, f"{entity.alias}: required {', '.join(missing)} is empty"
            )
            return None
        if entity.id_column and not source_id:
            self._reject(
                result,
                entity.id_column,
                "",
                f"{entity.alias}: id column {entity.id_column!r} is empty",
            )
            return None
        return RecordOut(
            entity.alias, entity.schema, entity.namespace, source_id or None, statements
        )

    def _reject(
        self, result: MappedRow, field_name: str | None, raw: str | None, reason: str
    ) -> MappedRow:
        result.rejected = True
        result.records.clear()
        result.links.clear()
        result.issues = [Issue(result.number, field_name, raw, reason, ROW_REJECTED)]
        return result


def raw_row(values: dict[str, str], columns: Sequence[str] | None = None) -> str:
    keys = columns or list(values)
    return json.dumps({k: values.get(k, "") for k in keys}, ensure_ascii=False)
