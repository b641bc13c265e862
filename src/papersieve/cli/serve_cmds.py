"""`papersieve serve`: the local web app."""

from __future__ import annotations

from pathlib import Path

import click

from papersieve.cli.options import profile_option
from papersieve.profile.stored import load_profile_ref
from papersieve.web.security import TOKEN_ENV, check_bind, token_from_env


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help=f"Address to listen on; a non-loopback address needs {TOKEN_ENV}.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@profile_option
def serve(host: str, port: int, profile_dir: Path | None) -> None:
    """Serve the local web app: read digests, search the archive, like and dislike papers.

    Binds to 127.0.0.1 by default. To listen on another address set PAPERSIEVE_WEB_TOKEN; every
    request then needs it (open the address once with ?token=..., or send Authorization: Bearer).
    Likes and dislikes retrain the local judge of the profile (and of the demo's, for its papers).
    """
    import uvicorn

    from papersieve.web.app import create_app

    token = token_from_env()
    check_bind(host, token)
    app = create_app(token=token, profile=load_profile_ref(profile_dir))
    if app.state.stores.read_only:
        click.echo(f"note: {app.state.stores.path} is read-only: pages work, likes are not saved",
                   err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"papersieve web app on http://{shown}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
