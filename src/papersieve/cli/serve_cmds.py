"""`papersieve serve`: the local web app."""

from __future__ import annotations

import contextlib
import os
import socket
from errno import EADDRINUSE
from pathlib import Path

import click

from papersieve.cli.options import profile_option
from papersieve.errors import ConfigError
from papersieve.profile.stored import load_profile_ref
from papersieve.store.accounts import count_admins
from papersieve.store.db import Store
from papersieve.store.search_index import rebuild_search_index, search_index_kept
from papersieve.web.accounts import SESSION_KEY_ENV, session_key_from_env
from papersieve.web.security import TOKEN_ENV, check_bind, token_from_env


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help=f"Address to listen on; a non-loopback address needs {TOKEN_ENV} or --group.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@click.option("--group", is_flag=True,
              help="The group app: members sign in (accounts: `papersieve user add`), each sees"
                   " and teaches only her own stored profiles.")
@profile_option
def serve(host: str, port: int, profile_dir: Path | None, group: bool) -> None:
    """Serve the local web app: read digests, search the archive, like and dislike papers.

    Binds to 127.0.0.1 by default. To listen on another address set PAPERSIEVE_WEB_TOKEN; every
    request then needs it (open the address once with ?token=..., or send Authorization: Bearer).
    Likes and dislikes retrain the local judge of the profile (and of the demo's, for its papers).

    With --group it is the group app: every page needs a signed-in member (the admin is made with
    `papersieve user add --admin NAME`, members join with her invite links), and each sees and
    teaches only her own stored profiles. Sessions are signed with PAPERSIEVE_SESSION_KEY (unset:
    a random key, and a restart signs everyone out); the access token is not used.
    """
    import uvicorn

    from papersieve.web.app import create_app

    if group:
        app = create_app(group=True, session_key=session_key_from_env())
        check_group(app.state.stores.get(), bool(session_key_from_env()))
    else:
        token = token_from_env()
        check_bind(host, token)
        app = create_app(token=token, profile=load_profile_ref(profile_dir))
    if app.state.stores.read_only:
        click.echo(f"note: {app.state.stores.path} is read-only: pages work, likes are not saved",
                   err=True)
    else:
        _reindex(app.state.stores.get())
    listener = listen(host, port)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"papersieve web app on http://{shown}:{listener.getsockname()[1]}/ (Ctrl-C to stop)")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", server_header=False))
    with listener, contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: a clean stop, as uvicorn.run
        server.run(sockets=[listener])


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the address is printed: a port in use (another
    `serve`) was the banner followed by uvicorn's log line and exit 3, and `--port 0` printed
    port 0 instead of the one the system chose."""
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        return socket.create_server(address, family=family, backlog=2048)
    except (OSError, UnicodeError) as exc:
        errno_ = exc.errno if isinstance(exc, OSError) else None
        reason = os.strerror(errno_) if errno_ else str(exc)
        hint = " (another `papersieve serve`? choose --port)" if errno_ == EADDRINUSE else ""
        raise ConfigError(f"cannot listen on {host} port {port}: {reason}{hint}") from None


def _reindex(store: Store) -> None:
    """A store kept without its search index (`[store] search_index = false`, the GitHub
    workflow's cache) gets it back before the web app serves it."""
    if not search_index_kept(store):
        click.echo("The store keeps no search index ([store] search_index = false): building it"
                   " from the kept text...", err=True)
        click.echo(f"Search index: {rebuild_search_index(store)} papers", err=True)


def check_group(store: Store, keyed: bool) -> None:
    """The group app needs an admin to invite anyone; say what a missing session key means."""
    if count_admins(store) == 0:
        raise ConfigError("the group app has no admin yet: create one with"
                          " `papersieve user add --admin NAME`, then start it again")
    if not keyed:
        click.echo(f"note: {SESSION_KEY_ENV} is not set: sessions end when the app restarts",
                   err=True)
