"""`papersieve topics`: what the local judge derived from the profile's topics file."""

from __future__ import annotations

from pathlib import Path

import click

from papersieve.cli.options import profile_option
from papersieve.profile.stored import load_profile_ref


@click.command("topics")
@profile_option
def topics(profile_dir: Path | None) -> None:
    """Print the topics, key phrases and what counts against, as the local judge reads them."""
    from papersieve.judges.local.explain import describe_topics

    profile = load_profile_ref(profile_dir)
    for line in describe_topics(profile.prompts.topics, profile.settings.categories):
        click.echo(line)
