"""Lantern's data model: the POLE schema and the property types that clean values."""

from lantern.model.schema import EntityType, LinkType, Property, Schema, load_schema
from lantern.model.types import Cleaned, CleanOptions, property_type

__all__ = [
    "Cleaned",
    "CleanOptions",
    "EntityType",
    "LinkType",
    "Property",
    "Schema",
    "load_schema",
    "property_type",
]
