"""``flask beacon serve``: run the local beacon (started by ``flask serve`` in the embedded default)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from beacon import local
from beacon.chain import LOCAL_DEFAULT_PORT

beacon_cli = AppGroup("beacon", help="The local drand-compatible beacon of the time-lock custodian.")


@beacon_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=None, type=int, help=f"default BEACON_PORT or {LOCAL_DEFAULT_PORT}")
@click.option("--exit-with-parent", is_flag=True, help="Stop when the process that started this one ends.")
def serve(host: str, port: int | None, exit_with_parent: bool) -> None:
    """Serve drand's HTTP API for the local chain, signing each round once its time has come."""
    from beacon.server import make_server

    directory = local.beacon_dir(current_app.config)
    port = port or int(current_app.config.get("BEACON_PORT") or LOCAL_DEFAULT_PORT)
    server = make_server(directory, host, port)
    info = local.ensure_chain(directory)
    click.echo(f"local beacon {info['chain_hash']} on http://{host}:{port}/ (Ctrl-C to stop)")
    if exit_with_parent:
        _watch_parent(server)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _watch_parent(server) -> None:
    """`flask serve` started us: shut down once it is gone (never an orphaned beacon)."""
    import os
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        server.shutdown()

    threading.Thread(target=watch, daemon=True, name="beacon-parent-watch").start()


@beacon_cli.command("info")
def info() -> None:
    """Print the configured chain (which beacon tenders are time-locked to)."""
    from beacon.chain import current_chain

    chain = current_chain()
    click.echo(f"{chain.name} {chain.chain_hash} period={chain.period}s genesis={chain.genesis_time} "
               f"urls={','.join(chain.urls)}\npublic_key={chain.public_key.hex()}")
