"""Lantern: a workbench for investigating group-based child sexual exploitation."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lantern")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
