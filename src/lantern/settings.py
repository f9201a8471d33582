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
    Setting("db", "LANTERN_DB", "sqlite:///lantern.db",
            "Workspace database: a SQLite file path or URL, or a postgresql:// URL."),
    Setting("user", "LANTERN_USER", None,
            "The workbench user acting; defaults to the operating-system account name."),
    Setting("case", "LANTERN_CASE", "default", "The case (compartment) to work in."),
    Setting("token", "LANTERN_TOKEN", None,
            "The acting user's token (from `lantern user token`), instead of the mapped system account."),
    Setting("password", "LANTERN_PASSWORD", None,
            "The acting user's password, instead of a token or the mapped system account."),
    Setting("purpose", "LANTERN_PURPOSE", "investigation",
            "Why this work is done; recorded in every audit event."),
    Setting("key_dir", "LANTERN_KEY_DIR", None,
            "Folder of the workspace's keys and audit witness file (default: beside a SQLite file)."),
    Setting("data_dir", "LANTERN_DATA_DIR", None,
            "Folder of bulk call data (`lantern calls load`) (default: beside a SQLite file)."),
    Setting("memory", "LANTERN_MEMORY", None,
            "Most memory DuckDB may take for calls, comms and resolution, e.g. 4GB or 50% "
            "(default: DuckDB's, 80% of RAM); beyond it, work spills to disk."),
)

SETTING_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    db: str = "sqlite:///lantern.db"
    user: str | None = None
    case: str = "default"
    token: str | None = None
    password: str | None = None
    purpose: str = "investigation"
    key_dir: str | None = None
    data_dir: str | None = None
    memory: str | None = None

    @property
    def acting_user(self) -> str:
        return self.user or getpass.getuser()
