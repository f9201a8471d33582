"""Mapping profiles: YAML files that say how a source's columns become schema entities.

A profile names, for each entity a row yields, its schema type, the column carrying its id
in the source system, the id namespace, and which columns feed which properties (with date
formats, value maps and name order). Links join the entities of one row. Every mistake is
reported with the profile's file name and line, before any data is read.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from lantern.errors import LanternError
from lantern.model.schema import Property, Schema, load_schema
from lantern.model.types import CleanOptions

FORMATS = ("csv", "xlsx", "jsonl")
NAME_ORDERS = ("auto", "forename_first", "surname_first")
_PROFILE_KEYS = {
    "name",
    "description",
    "format",
    "encoding",
    "delimiter",
    "sheet",
    "namespace",
    "dates",
    "max_field_bytes",
    "entities",
    "links",
}
_ENTITY_KEYS = {"schema", "id", "namespace", "properties", "required"}
_PROP_KEYS = {"column", "columns", "value", "formats", "map", "order", "region", "join"}
_LINK_KEYS = {"type", "from", "to", "properties"}
DEFAULT_MAX_FIELD_BYTES = 1024 * 1024


class _Map(dict[Any, Any]):
    """A YAML mapping that remembers the line of each key.

    Keys are as YAML reads them: usually text, but ``1:``, ``true:`` or ``~:`` give a number,
    a bool or None, and the line is kept under that same key.
    """

    lines: dict[Any, int]
    line: int


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> _Map:
        mapping = _Map(super().construct_mapping(node, deep=True))
        # Each key node was constructed (and cached) above: look the same key up again, so a
        # key of any type finds its line. A repeated key keeps the line of its last value.
        mapping.lines = {
            self.construct_object(k, deep=True): k.start_mark.line + 1 for k, _ in node.value
        }
        mapping.line = node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    lambda loader, node: loader.construct_mapping(node),  # type: ignore[arg-type]
)


@dataclass(frozen=True)
class PropertyMapping:
    prop: Property
    columns: tuple[str, ...]  # one statement per column (several phone columns, say)
    constant: str | None
    options: CleanOptions
    value_map: dict[str, str]
    join: str | None  # join these columns into one value ("FORENAME SURNAME")
    line: int

    def raw_values(self, row: dict[str, str]) -> list[tuple[str, str]]:
        """(field, raw text) pairs this mapping reads from a row; empty cells skipped."""
        if self.constant is not None:
            return [("(constant)", self.constant)]
        if self.join is not None:
            parts = [row.get(c, "").strip() for c in self.columns]
            text = self.join.join(p for p in parts if p)
            return [("+".join(self.columns), text)] if text else []
        out = []
        for column in self.columns:
            raw = row.get(column, "")
            if raw.strip():
                out.append((column, raw))
        return out

    def translate(self, raw: str) -> str:
        if not self.value_map:
            return raw
        key = raw.strip()
        return self.value_map.get(key, self.value_map.get(key.lower(), raw))


@dataclass(frozen=True)
class EntityMapping:
    alias: str
    schema: str
    id_column: str | None
    namespace: str
    properties: tuple[PropertyMapping, ...]
    required: frozenset[str]
    line: int


@dataclass(frozen=True)
class LinkMapping:
    type: str
    source: str
    target: str
    properties: tuple[PropertyMapping, ...]
    line: int


@dataclass(frozen=True)
class Profile:
    name: str
    path: str
    sha256: str
    description: str
    format: str | None
    encoding: str
    delimiter: str
    sheet: str | None
    max_field_bytes: int
    entities: tuple[EntityMapping, ...]
    links: tuple[LinkMapping, ...]
    column_lines: dict[str, int] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """Every column the profile reads, in the order first named."""
        return list(self.column_lines)


class _Builder:
    """Turns the parsed YAML into a Profile, collecting errors with their line numbers."""

    def __init__(self, path: str, schema: Schema) -> None:
        self.path = path
        self.schema = schema
        self.column_lines: dict[str, int] = {}

    def fail(self, line: int, message: str) -> LanternError:
        return LanternError(f"profile {self.path}, line {line}: {message}")

    def check_keys(self, node: _Map, allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                hint = _suggest(key, allowed)
                raise self.fail(node.lines[key], f"unknown key {key!r} in {what}{hint}")

    def mapping(self, node: Any, line: int, what: str) -> _Map:
        if not isinstance(node, _Map):
            raise self.fail(line, f"{what} must be a mapping, not {_shape(node)}")
        return node

    def text(self, node: _Map, key: str, what: str | None = None) -> str | None:
        """The text under ``key`` (YAML reads ``2024`` as a number: that is text here too), or
        None when it is absent or null; a list, a mapping or a bool is refused at its line."""
        value = node.get(key)
        if value is None:
            return None
        if not _is_text(value):
            raise self.fail(node.lines[key], f"{what or key} must be text, not {_shape(value)}")
        return str(value)

    def texts(self, node: _Map, key: str, what: str | None = None) -> list[str] | None:
        """A list of texts under ``key`` (one text is a list of one), or None when absent."""
        value = node.get(key)
        if value is None:
            return None
        if _is_text(value):
            return [str(value)]
        if not isinstance(value, list) or not all(_is_text(v) for v in value):
            raise self.fail(
                node.lines[key], f"{what or key} must be a list of texts, not {_shape(value)}"
            )
        return [str(v) for v in value]

    def date_formats(self, node: _Map, key: str) -> list[str] | None:
        formats = self.texts(node, key, f"{key} (date formats)")
        for fmt in formats or ():
            if "%" not in fmt:
                raise self.fail(
                    node.lines[key], f"{fmt!r} is not a date format (they look like %d/%m/%Y)"
                )
        return formats

    def note_column(self, column: Any, line: int) -> str:
        if not _is_text(column) or isinstance(column, float) or str(column).strip() == "":
            raise self.fail(line, f"column name must be text, not {_shape(column)}")
        self.column_lines.setdefault(str(column), line)
        return str(column)

    def prop_mapping(
        self, prop: Property, spec: Any, line: int, dates: tuple[str, ...]
    ) -> PropertyMapping:
        if _is_text(spec):
            spec = _Map(column=spec)
            spec.lines, spec.line = {"column": line}, line
        if isinstance(spec, list):
            spec_map = _Map(columns=spec)
            spec_map.lines, spec_map.line = {"columns": line}, line
            spec = spec_map
        if not isinstance(spec, _Map):
            raise self.fail(
                line,
                f"property {prop.name!r} must be a column, a list of columns or a mapping, "
                f"not {_shape(spec)}",
            )
        node = spec
        self.check_keys(node, _PROP_KEYS, f"property {prop.name!r}")
        sources = [k for k in ("column", "columns", "value") if k in node]
        if len(sources) != 1:
            raise self.fail(
                line, f"property {prop.name!r} needs exactly one of column, columns, value"
            )
        columns: tuple[str, ...] = ()
        constant = None
        if "column" in node:
            columns = (self.note_column(node["column"], node.lines["column"]),)
        elif "columns" in node:
            if not isinstance(node["columns"], list) or not node["columns"]:
                raise self.fail(node.lines["columns"], "columns must be a non-empty list")
            columns = tuple(self.note_column(c, node.lines["columns"]) for c in node["columns"])
        else:
            constant = self.text(node, "value")
            if constant is None:
                raise self.fail(node.lines["value"], "value must be text, not null")
        formats = self.date_formats(node, "formats")
        order = node.get("order", "auto")
        if not isinstance(order, str) or order not in NAME_ORDERS:
            raise self.fail(node.lines["order"], f"order must be one of {', '.join(NAME_ORDERS)}")
        value_map = node.get("map") or {}
        if not isinstance(value_map, dict) or not all(_is_text(v) for v in value_map.values()):
            raise self.fail(node.lines["map"], "map must be a mapping of source value to value")
        join = self.text(node, "join")
        if join is not None and "columns" not in node:
            raise self.fail(node.lines["join"], "join needs columns")
        options = CleanOptions(
            formats=tuple(dates if formats is None else formats),
            order=order,
            region=self.text(node, "region") or "GB",
            values=prop.values,
        )
        return PropertyMapping(
            prop=prop,
            columns=columns,
            constant=constant,
            options=options,
            value_map={str(k).strip(): str(v) for k, v in value_map.items()},
            join=join,
            line=node.line,
        )

    def entity(
        self, alias: str, node: Any, line: int, namespace: str | None, dates: tuple[str, ...]
    ) -> EntityMapping:
        node = self.mapping(node, line, f"entity {alias!r}")
        self.check_keys(node, _ENTITY_KEYS, f"entity {alias!r}")
        schema_name = node.get("schema")
        if not isinstance(schema_name, str) or schema_name not in self.schema.entities:
            known = [e.name for e in self.schema.concrete()]
            hint = _suggest(schema_name, known)
            raise self.fail(node.lines.get("schema", line), f"unknown schema {schema_name!r}{hint}")
        entity_type = self.schema.entities[schema_name]
        if entity_type.abstract:
            raise self.fail(node.lines["schema"], f"{schema_name} is abstract; use a concrete type")
        props_node = self.mapping(
            node.get("properties") or _empty_map(line),
            node.lines.get("properties", line),
            "properties",
        )
        mappings = []
        for prop_name, spec in props_node.items():
            if not isinstance(prop_name, str) or prop_name not in entity_type.properties:
                hint = _suggest(prop_name, entity_type.properties)
                raise self.fail(
                    props_node.lines[prop_name],
                    f"{schema_name} has no property {prop_name!r}{hint}",
                )
            mappings.append(
                self.prop_mapping(
                    entity_type.properties[prop_name], spec, props_node.lines[prop_name], dates
                )
            )
        id_column = None
        if "id" in node:
            id_column = self.note_column(node["id"], node.lines["id"])
        required = self.texts(node, "required", "required (property names)") or []
        for prop_name in required:
            if prop_name not in props_node:
                raise self.fail(
                    node.lines["required"], f"required property {prop_name!r} is not mapped"
                )
        ns = self.text(node, "namespace") or namespace
        if not ns:
            raise self.fail(line, f"entity {alias!r} needs a namespace (here or at the top)")
        if not mappings and id_column is None:
            raise self.fail(line, f"entity {alias!r} maps no id and no properties")
        return EntityMapping(
            alias, schema_name, id_column, str(ns), tuple(mappings), frozenset(required), line
        )

    def link(
        self, node: Any, line: int, aliases: dict[str, EntityMapping], dates: tuple[str, ...]
    ) -> LinkMapping:
        node = self.mapping(node, line, "link")
        self.check_keys(node, _LINK_KEYS, "link")
        type_name = node.get("type")
        if not isinstance(type_name, str) or type_name not in self.schema.links:
            hint = _suggest(str(type_name), self.schema.links)
            raise self.fail(node.lines.get("type", line), f"unknown link type {type_name!r}{hint}")
        link_type = self.schema.links[type_name]
        ends = []
        for end, expected in (("from", link_type.source), ("to", link_type.target)):
            alias = node.get(end)
            if not isinstance(alias, str) or alias not in aliases:
                raise self.fail(
                    node.lines.get(end, line),
                    f"link {end} {alias!r} is not an entity of this profile",
                )
            entity_type = self.schema.entities[aliases[alias].schema]
            if not entity_type.is_a(expected):
                raise self.fail(
                    node.lines[end],
                    f"{type_name} needs a {expected} at '{end}', "
                    f"but {alias!r} is a {entity_type.name}",
                )
            ends.append(alias)
        props_node = self.mapping(
            node.get("properties") or _empty_map(line), line, "link properties"
        )
        props = []
        for prop_name, spec in props_node.items():
            if not isinstance(prop_name, str) or prop_name not in self.schema.link_properties:
                hint = _suggest(prop_name, self.schema.link_properties)
                raise self.fail(
                    props_node.lines[prop_name], f"links have no property {prop_name!r}{hint}"
                )
            props.append(
                self.prop_mapping(
                    self.schema.link_properties[prop_name], spec, props_node.lines[prop_name], dates
                )
            )
        return LinkMapping(type_name, ends[0], ends[1], tuple(props), node.line)


def _empty_map(line: int) -> _Map:
    empty = _Map()
    empty.lines, empty.line = {}, line
    return empty


def _is_text(value: Any) -> bool:
    """A YAML scalar that stands for text: a string or a number, not a bool or null (a bare
    ``yes``, ``on`` or ``~`` is almost always a value that needed quotes)."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _shape(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return f"{value!r} (quote it if it is meant as text)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _suggest(word: Any, options: Any) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _delimiter(builder: _Builder, root: _Map) -> str:
    delimiter = builder.text(root, "delimiter") or "auto"
    if delimiter in ("auto", "tab", "\\t") or (len(delimiter) == 1 and delimiter not in '"\r\n'):
        return delimiter
    raise builder.fail(
        root.lines["delimiter"],
        f"delimiter must be auto, tab or one character (not a quote or line break), "
        f"not {delimiter!r}",
    )


def _encoding(builder: _Builder, root: _Map) -> str:
    encoding = builder.text(root, "encoding") or "auto"
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise builder.fail(root.lines["encoding"], f"unknown encoding {encoding!r}") from None
    return encoding


def _max_field_bytes(builder: _Builder, root: _Map) -> int:
    value = root.get("max_field_bytes", DEFAULT_MAX_FIELD_BYTES)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise builder.fail(
            root.lines["max_field_bytes"],
            f"max_field_bytes must be a whole number of bytes above 0, not {_shape(value)}",
        )
    return value


def parse_profile(text: str, path: str, schema: Schema | None = None) -> Profile:
    try:
        return _parse_profile(text, path, schema)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        # Every shape is checked, and named with its line, below; this is the last guard for a
        # shape those checks did not foresee: still the author's mistake, never a traceback.
        raise LanternError(f"profile {path}, somewhere: a value has the wrong shape ({exc})") from None


def _parse_profile(text: str, path: str, schema: Schema | None = None) -> Profile:
    schema = schema or load_schema()
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "somewhere"
        problem = getattr(exc, "problem", None) or str(exc)
        raise LanternError(f"profile {path}, {where}: YAML syntax error: {problem}") from None
    builder = _Builder(path, schema)
    root = builder.mapping(doc, 1, "a profile")
    builder.check_keys(root, _PROFILE_KEYS, "the profile")
    name = builder.text(root, "name")
    if not name or not name.strip():
        raise builder.fail(root.lines.get("name", 1), "the profile needs a name")
    fmt = root.get("format")
    if fmt is not None and (not isinstance(fmt, str) or fmt not in FORMATS):
        raise builder.fail(root.lines["format"], f"format must be one of {', '.join(FORMATS)}")
    description = builder.text(root, "description") or ""
    encoding = _encoding(builder, root)
    delimiter = _delimiter(builder, root)
    sheet = builder.text(root, "sheet")
    max_field_bytes = _max_field_bytes(builder, root)
    namespace = builder.text(root, "namespace")
    dates = tuple(builder.date_formats(root, "dates") or ())
    entities_node = root.get("entities")
    if not entities_node:
        raise builder.fail(root.lines.get("entities", root.line), "the profile maps no entities")
    entities_node = builder.mapping(entities_node, root.lines["entities"], "entities")
    entities = {}
    for alias, spec in entities_node.items():
        if not isinstance(alias, str):
            raise builder.fail(
                entities_node.lines[alias], f"an entity's name must be text, not {_shape(alias)}"
            )
        entities[alias] = builder.entity(alias, spec, entities_node.lines[alias], namespace, dates)
    links_node = root.get("links") or []
    if not isinstance(links_node, list):
        raise builder.fail(root.lines["links"], "links must be a list")
    links = tuple(
        builder.link(spec, getattr(spec, "line", root.lines.get("links", 1)), entities, dates)
        for spec in links_node
    )
    return Profile(
        name=name,
        path=path,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        description=description,
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        max_field_bytes=max_field_bytes,
        entities=tuple(entities.values()),
        links=links,
        column_lines=builder.column_lines,
    )


def shipped_profiles() -> dict[str, Path]:
    """Profiles that ship with Lantern, by name (file stem), searched recursively."""
    root = Path(str(resources.files("lantern").joinpath("profiles")))
    return {p.stem: p for p in sorted(root.rglob("*.yaml"))}


def load_profile(ref: str | Path) -> Profile:
    """A profile from a path, or by the name of one that ships with Lantern."""
    path = Path(ref)
    if not path.exists():
        shipped = shipped_profiles()
        if str(ref) in shipped:
            path = shipped[str(ref)]
        else:
            hint = _suggest(str(ref), shipped)
            raise LanternError(
                f"no profile file {str(ref)!r}{hint}; `lantern profiles` lists shipped ones"
            )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LanternError(f"cannot read profile {path}: {exc}") from None
    return parse_profile(text, str(path))
