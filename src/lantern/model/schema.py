"""Load ``schema.yaml`` into typed objects: entity types with inherited properties, link types.

The YAML file is the single declaration of Lantern's POLE model; nothing else in the code
names a type's properties. Types are resolved once and are immutable afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from lantern.model.types import CleanOptions, PropertyType, property_type

POLE_KINDS = ("person", "object", "location", "event")


class SchemaError(ValueError):
    """The schema file is inconsistent (a bug in Lantern, not a user mistake)."""


@dataclass(frozen=True)
class Property:
    name: str
    type: PropertyType
    label: str
    protected: bool = False
    values: tuple[str, ...] = ()

    @property
    def pivot(self) -> bool:
        return self.type.pivot

    def options(self) -> CleanOptions:
        return CleanOptions(values=self.values)


@dataclass(frozen=True)
class EntityType:
    name: str
    kind: str
    label_property: str
    abstract: bool
    parents: tuple[str, ...]  # nearest first
    properties: dict[str, Property] = field(hash=False)

    def is_a(self, other: str) -> bool:
        return other == self.name or other in self.parents

    @property
    def protected_properties(self) -> list[str]:
        return [p.name for p in self.properties.values() if p.protected]


@dataclass(frozen=True)
class LinkType:
    name: str
    source: str
    target: str
    directed: bool
    label: str
    role: str | None


@dataclass(frozen=True)
class Schema:
    version: int
    entities: dict[str, EntityType]
    links: dict[str, LinkType]
    link_properties: dict[str, Property]

    def entity(self, name: str) -> EntityType:
        try:
            return self.entities[name]
        except KeyError:
            raise KeyError(f"unknown entity type {name!r}") from None

    def link(self, name: str) -> LinkType:
        try:
            return self.links[name]
        except KeyError:
            raise KeyError(f"unknown link type {name!r}") from None

    def concrete(self) -> list[EntityType]:
        return [e for e in self.entities.values() if not e.abstract]

    def of_kind(self, kind: str) -> list[EntityType]:
        return [e for e in self.concrete() if e.kind == kind]

    def descendants(self, name: str) -> list[str]:
        return [e.name for e in self.entities.values() if e.is_a(name)]


def _property(name: str, spec: dict[str, Any]) -> Property:
    return Property(
        name=name,
        type=property_type(spec["type"]),
        label=spec.get("label", name),
        protected=bool(spec.get("protected", False)),
        values=tuple(spec.get("values", ())),
    )


def _resolve_entities(raw: dict[str, dict[str, Any]]) -> dict[str, EntityType]:
    resolved: dict[str, EntityType] = {}

    def resolve(name: str, seen: tuple[str, ...] = ()) -> EntityType:
        if name in resolved:
            return resolved[name]
        if name in seen:
            raise SchemaError(f"inheritance cycle: {' -> '.join(seen + (name,))}")
        if name not in raw:
            raise SchemaError(f"unknown entity type {name!r} in 'extends'")
        spec = raw[name] or {}
        parent_name = spec.get("extends")
        parent = resolve(parent_name, seen + (name,)) if parent_name else None
        properties = dict(parent.properties) if parent else {}
        for prop_name, prop_spec in (spec.get("properties") or {}).items():
            properties[prop_name] = _property(prop_name, prop_spec)
        kind = spec.get("kind", parent.kind if parent else "object")
        if kind not in POLE_KINDS:
            raise SchemaError(f"{name}: kind {kind!r} is not one of {POLE_KINDS}")
        label = spec.get("label", parent.label_property if parent else "name")
        entity = EntityType(
            name=name,
            kind=kind,
            label_property=label,
            abstract=bool(spec.get("abstract", False)),
            parents=((parent.name,) + parent.parents) if parent else (),
            properties=properties,
        )
        resolved[name] = entity
        return entity

    for name in raw:
        resolve(name)
    return resolved


def parse_schema(document: dict[str, Any]) -> Schema:
    entities = _resolve_entities(document["entities"])
    links = {}
    for name, spec in document["links"].items():
        for end in ("from", "to"):
            if spec[end] not in entities:
                raise SchemaError(f"link {name}: unknown type {spec[end]!r} in '{end}'")
        links[name] = LinkType(
            name=name,
            source=spec["from"],
            target=spec["to"],
            directed=bool(spec.get("directed", True)),
            label=spec.get("label", name),
            role=spec.get("role"),
        )
    link_properties = {
        name: _property(name, spec)
        for name, spec in (document.get("link_properties") or {}).items()
    }
    return Schema(int(document["version"]), entities, links, link_properties)


@cache
def load_schema() -> Schema:
    """The schema shipped with Lantern (parsed once)."""
    text = resources.files("lantern").joinpath("schema.yaml").read_text(encoding="utf-8")
    return parse_schema(yaml.safe_load(text))
