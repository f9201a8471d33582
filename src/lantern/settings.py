"""One table of settings drives the CLI's global options, the LANTERN_* variables and the docs."""

from __future__ import annotations

import getpass
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "db",
        "LANTERN_DB",
        "sqlite:///lantern.db",
        "Workspace database: a SQLite file path or URL, or a postgresql:// URL.",
    ),
    Setting(
        "user",
        "LANTERN_USER",
        None,
        "Who is acting; recorded with every load. Defaults to the operating-system user.",
    ),
    Setting("case", "LANTERN_CASE", "default", "The case (compartment) to work in."),
)

SETTING_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    db: str = "sqlite:///lantern.db"
    user: str | None = None
    case: str = "default"

    @property
    def acting_user(self) -> str:
        return self.user or getpass.getuser()
