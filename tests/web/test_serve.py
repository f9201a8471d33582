"""`lantern serve` refuses to expose the workbench without TLS, with a clear message."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lantern.cli import app
from lantern.commands.serve import check_options
from lantern.errors import LanternError


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
