"""The line every benchmark prints about where it ran: cores, CPU, memory, Python, libraries."""

from __future__ import annotations

import importlib
import os
import platform
import sys
from pathlib import Path


def describe(*libraries: str) -> str:
    """E.g. ``8 cores (AMD EPYC), 24 GiB RAM; python 3.11.7 on Linux; duckdb 1.1.0``; a library
    that is not installed is named as such (a baseline may need it)."""
    cpu, ram = platform.processor() or platform.machine(), ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")) / 2**20
        ram = f", {mem:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    line = f"{os.cpu_count()} cores ({cpu}){ram}; python {sys.version.split()[0]} on {platform.system()}"
    versions = []
    for name in libraries:
        try:
            module = importlib.import_module(name)
        except ImportError:
            versions.append(f"{name} not installed")
            continue
        # sqlite3 names the library it wraps, not itself.
        version = getattr(module, "sqlite_version", None) if name == "sqlite3" else None
        versions.append(f"{name} {version or getattr(module, '__version__', '(no version)')}")
    return line + ("; " + ", ".join(versions) if versions else "")
