"""`papersieve user add|list|remove`: accounts of the group web app (`papersieve serve --group`)."""

from __future__ import annotations

import os

import click

from papersieve.cli.options import use_profile_store
from papersieve.errors import ConfigError
from papersieve.store import open_store, open_store_to_read
from papersieve.store.accounts import all_users, owned_profiles, profile_owner, remove_user, user_named
from papersieve.store.db import Store
from papersieve.store.profiles import stored_profile
from papersieve.web.accounts import PASSWORD_ENV, create_user


@click.group()
def user() -> None:
    """Accounts of the group web app: an admin invites members from the app (Your account)."""
    use_profile_store(None)


@user.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="An admin: she invites members from the web app.")
@click.option("--profile", "profiles", multiple=True,
              help="A stored profile she owns (repeatable); none: a new one named after her,"
                   " a copy of the built-in profile.")
def add(name: str, admin: bool, profiles: tuple[str, ...]) -> None:
    """Create the account NAME; the password is read from PAPERSIEVE_USER_PASSWORD, else asked."""
    password = os.environ.get(PASSWORD_ENV) or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    with open_store() as store:
        if not profiles:
            _hint_own_profile(store, name)
        created = create_user(store, name, password, is_admin=admin, profiles=profiles)
        owned = owned_profiles(store, created.id)
    role = "admin" if created.is_admin else "member"
    click.echo(f"Created {role} {created.name}, owning profile {', '.join(owned)}")


def _hint_own_profile(store: Store, name: str) -> None:
    """A stored profile of that name owned by nobody is most likely hers, added with `profile add`
    before her account: say how to give it to her ("the name is taken: choose another" left a
    group's member without her own profile)."""
    if (stored_profile(store, name) is not None and profile_owner(store, name) is None
            and user_named(store, name) is None):
        raise ConfigError(f"a stored profile is named {name!r} and no account owns it:"
                          f" `papersieve user add {name} --profile {name}` gives it to her"
                          " (another name gets a new profile)")


@user.command("list")
def list_() -> None:
    """List the accounts, their role and profiles (never a password or a hash)."""
    with open_store_to_read() as store:
        rows = [(u, owned_profiles(store, u.id)) for u in all_users(store)]
    if not rows:
        click.echo("No accounts (create the admin with `papersieve user add --admin NAME`).")
    for found, owned in rows:
        role = "admin" if found.is_admin else "member"
        click.echo(f"{found.name}\t{role}\t{','.join(owned)}\t{found.created_at}")


@user.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove the account NAME (her profiles and history stay in the store, owned by nobody)."""
    with open_store() as store:
        if not remove_user(store, name):
            raise ConfigError("no account of that name", path=name)
    click.echo(f"Removed account {name}")
