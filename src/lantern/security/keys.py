"""Workspace secrets, kept apart from the data: the pseudonym key, the audit signing key and
the key that signs the web workbench's cookies.

For a SQLite workspace they live in a folder beside the database file (``lantern.db.keys``)
unless LANTERN_KEY_DIR names another place; a PostgreSQL workspace needs LANTERN_KEY_DIR.
The folder also holds the audit witness file, the checkpoints kept outside the database.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from lantern.errors import LanternError
from lantern.security import checkpoint
from lantern.store import Workspace

PSEUDONYM_KEY = "pseudonym.key"
SIGNING_KEY = "audit-signing.key"
WEB_COOKIE_KEY = "web-cookie.key"
WITNESS = "audit-witness.txt"


@dataclass(frozen=True)
class Keys:
    folder: Path

    @classmethod
    def for_workspace(cls, workspace: Workspace, key_dir: str | None) -> Keys:
        if key_dir:
            return cls(Path(key_dir))
        if workspace.path is not None:
            return cls(workspace.path.with_name(workspace.path.name + ".keys"))
        raise LanternError("a PostgreSQL workspace needs --key-dir (LANTERN_KEY_DIR) for its keys")

    def create(self) -> None:
        """Make the key folder and its keys once; existing keys are never replaced."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._write_once(PSEUDONYM_KEY, secrets.token_bytes(32).hex())
        self._write_once(SIGNING_KEY, checkpoint.generate_key().hex())

    def _write_once(self, name: str, content: str) -> None:
        """Write the key whole under a temporary name, then link it into place: two processes
        making it at once agree on one key, and none ever reads a half-written file."""
        path = self.folder / name
        if path.exists():
            return
        draft = self.folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(content + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):  # another process made it first: theirs stands
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)

    def _read(self, name: str) -> bytes:
        path = self.folder / name
        try:
            return bytes.fromhex(path.read_text().strip())
        except FileNotFoundError:
            raise LanternError(
                f"missing key file {path}: the workspace's keys are not here "
                "(set --key-dir / LANTERN_KEY_DIR)"
            ) from None
        except ValueError:
            raise LanternError(f"key file {path} is damaged") from None

    @property
    def pseudonym_key(self) -> bytes:
        return self._read(PSEUDONYM_KEY)

    @property
    def signing_key(self) -> bytes:
        return self._read(SIGNING_KEY)

    @property
    def web_cookie_key(self) -> bytes:
        """Signs the workbench's session cookies, the same in every server process; made on first
        use (workspaces created before it existed have none)."""
        self._write_once(WEB_COOKIE_KEY, secrets.token_bytes(32).hex())
        return self._read(WEB_COOKIE_KEY)

    @property
    def public_key(self) -> bytes:
        return checkpoint.public_key(self.signing_key)

    @property
    def witness(self) -> Path:
        return self.folder / WITNESS
