"""Hostile-file guards: size limits, XML and ZIP archives (one import for callers).

See :mod:`lantern.security.limits`, :mod:`lantern.security.xmlguard` and
:mod:`lantern.security.archives`.
"""

from lantern.security.archives import (
    ZipMember,
    check_zip,
    iter_zip_member,
    read_zip_member,
    safe_extract,
)
from lantern.security.limits import DEFAULT_LIMITS, FileLimits, check_file_size
from lantern.security.xmlguard import parse_xml

__all__ = [
    "DEFAULT_LIMITS",
    "FileLimits",
    "ZipMember",
    "check_file_size",
    "check_zip",
    "iter_zip_member",
    "parse_xml",
    "read_zip_member",
    "safe_extract",
]
