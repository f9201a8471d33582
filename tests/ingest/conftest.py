from __future__ import annotations

from pathlib import Path

import pytest

from lantern.ingest.profile import Profile, parse_profile

PEOPLE_PROFILE = """\
name: people
namespace: test.nominal
dates: ["%d/%m/%Y"]
entities:
  person:
    schema: Person
    id: ID
    required: [name]
    properties:
      name: NAME
      dob: DOB
      phone: MOBILE
      notes: NOTES
"""
HEADER = "ID,NAME,DOB,MOBILE,NOTES\n"


@pytest.fixture
def people_profile() -> Profile:
    return parse_profile(PEOPLE_PROFILE, "people.yaml")


@pytest.fixture
def write(tmp_path: Path):
    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode(encoding)
        path.write_bytes(content)
        return path

    return _write
