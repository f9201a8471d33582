"""`lantern serve`: the web workbench. Localhost by default; anything else needs TLS.

The server checks no case itself: every route asks the same policy and writes the same audit
as the CLI (lantern.web.app).
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from lantern.commands.context import settings_of
from lantern.errors import LanternError
from lantern.output import console


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def check_options(host: str, certfile: Path | None, keyfile: Path | None, insecure: bool) -> bool:
    """Whether TLS is on; a LanternError for a combination that would be unsafe or cannot work."""
    if (certfile is None) != (keyfile is None):
        raise LanternError("give both --certfile and --keyfile for TLS, or neither")
    for path in (certfile, keyfile):
        if path is not None and not path.is_file():
            raise LanternError(f"no file {path}")
    tls = certfile is not None
    if not tls and not is_loopback(host) and not insecure:
        raise LanternError(
            f"refusing to serve on {host} without TLS: passwords and case data would cross the "
            "network in clear. Give --certfile and --keyfile, or --insecure if another layer "
            "(a TLS proxy on this machine) encrypts it")
    return tls


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
    keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    insecure: Annotated[bool, typer.Option(
        help="Allow a non-loopback host without TLS (only behind a TLS proxy).")] = False,
    idle_minutes: Annotated[float, typer.Option(
        min=1, help="Log a browser out after this many idle minutes.")] = 30.0,
    session_hours: Annotated[float, typer.Option(
        min=0.1, max=24, help="Log a browser out this many hours after login, however active.")] = 8.0,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="Server processes answering at once (about one a core); they share "
                            "sessions and upload jobs through the workspace.")] = 1,
) -> None:
    """Run the web workbench on the workspace: log in with your Lantern user name and password."""
    import uvicorn  # imported here: the rest of the CLI does not pay for the web stack

    from lantern.web.app import CONFIG_ENV, WebConfig, create_app, jobs_folder

    tls = check_options(host, certfile, keyfile, insecure)
    settings = replace(settings_of(ctx), user=None, token=None, password=None)  # each login is its own
    config = WebConfig(idle_minutes=idle_minutes, session_hours=session_hours, secure_cookies=tls)
    app = create_app(settings, config)  # checks the workspace and makes its cookie key once
    if workers > 1 and jobs_folder(app.state.web.workspace, settings) is None:
        raise LanternError("--workers above 1 needs --data-dir (LANTERN_DATA_DIR) on PostgreSQL: "
                           "the processes share upload jobs there")
    shown = f"[{host}]" if ":" in host else host
    console.print(f"Lantern workbench on {'https' if tls else 'http'}://{shown}:{port}/ "
                  f"({workers} process{'es' if workers > 1 else ''}; Ctrl+C to stop)")
    options: dict[str, Any] = dict(host=host, port=port, ssl_certfile=str(certfile) if certfile else None,
                                   ssl_keyfile=str(keyfile) if keyfile else None, server_header=False,
                                   proxy_headers=False, log_level="warning")
    if workers == 1:
        uvicorn.run(app, **options)
        return
    # Each worker process builds its own app from the same settings (uvicorn starts them).
    app.state.web.workspace.dispose()
    os.environ[CONFIG_ENV] = json.dumps({"settings": asdict(settings), "idle_minutes": idle_minutes,
                                         "session_hours": session_hours, "secure_cookies": tls})
    uvicorn.run("lantern.web.app:app_from_environment", factory=True, workers=workers, **options)
