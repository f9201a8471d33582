"""`lantern serve`: refuses to expose the workbench without TLS, with a clear message; runs several
worker processes that share the logins."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from lantern.cli import app
from lantern.commands.serve import check_options
from lantern.errors import LanternError
from lantern.processes import children
from tests.web.test_app import audit_events, login


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_needs_no_tls(host):
    assert check_options(host, None, None, insecure=False) is False


def test_a_network_host_without_tls_is_refused_unless_insecure(tmp_path):
    with pytest.raises(LanternError, match="without TLS"):
        check_options("0.0.0.0", None, None, insecure=False)
    assert check_options("0.0.0.0", None, None, insecure=True) is False
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("x")
    assert check_options("0.0.0.0", cert, key, insecure=False) is True
    with pytest.raises(LanternError, match="both"):
        check_options("0.0.0.0", cert, None, insecure=False)


def test_the_cli_says_why_in_one_line(tmp_path):
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "serve",
                                      "--host", "192.0.2.1"])
    assert result.exit_code == 1 and "refusing to serve on 192.0.2.1 without TLS" in result.output
    assert "Traceback" not in result.output


def test_several_worker_processes_share_one_login(site, tmp_path):
    """`lantern serve --workers 2`: two processes answer; a browser logged in on one is known to
    both, every request is audited, and the chain still verifies."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lantern = str(Path(sys.executable).with_name("lantern"))
    server = subprocess.Popen([lantern, "--db", site.db, "--key-dir", str(site.key_dir), "--data-dir",
                               str(tmp_path / "data"), "serve", "--port", str(port), "--workers", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        while len(children(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = [pid for pid in children(server.pid)
                   if "lantern" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
                   or "python" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")]
        assert len(workers) >= 2
        before = len(audit_events(site))
        with httpx.Client(base_url=url, limits=httpx.Limits(max_keepalive_connections=0)) as browser:
            login(browser)  # type: ignore[arg-type]
            answers = [browser.get("/api/cases") for _ in range(40)]  # new connections: both processes
        assert [a.status_code for a in answers] == [200] * 40
        written = audit_events(site)[before:]
        assert len(written) >= 40 and {e["user"] for e in written} == {"ana"}  # none lost
        site.run("user", "add", "auditor-s", "--roles", "auditor")
        token = site.run("user", "token", "auditor-s").strip().splitlines()[-1]
        assert "OK" in site.run("--user", "auditor-s", "audit", "verify", env={"LANTERN_TOKEN": token})
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
