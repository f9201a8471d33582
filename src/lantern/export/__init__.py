"""Exports: the formats analysts already use (CSV, JSON lines; i2 ANX, GraphML, FtM to come)."""
