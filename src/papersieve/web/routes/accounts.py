"""The group app's own pages: sign in and out, accept an invite, invite (admins), and a member's
profiles with the topics editor and its preview."""

from __future__ import annotations

import math

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from papersieve.errors import PapersieveError
from papersieve.store import accounts as stored
from papersieve.store.profiles import save_profile, stored_profile
from papersieve.web import accounts
from papersieve.web.context import in_worker, render, store_of
from papersieve.web.preview import MAX_TOPICS, TOPICS_FILE, preview, with_topics
from papersieve.web.routes.feedback import safe_next

WRONG = "Wrong name or password."


def login_page(request: Request) -> Response:
    """The sign-in form."""
    return _login(request, "", 200)


def _login(request: Request, problem: str, status: int, name: str = "",
           headers: dict[str, str] | None = None) -> Response:
    target = _next(request.query_params.get("next", ""))
    return render(request, "account_login.html", status, headers, title="Sign in",
                  problem=problem, user_name=name, next=target)


def _next(target: str) -> str:
    """Only a path on this site (never an open redirect), else the latest digest."""
    return target if safe_next(target, "") == target else "/"


async def login(request: Request) -> Response:
    """Check the name and password (rate-limited), then start the session."""
    form = await request.form()
    name, password = _text(form, "name", 60), _text(form, "password", accounts.MAX_PASSWORD + 1)
    throttle: accounts.LoginThrottle = request.app.state.login_throttle
    client = request.client.host if request.client else ""
    wait = throttle.wait(client, name)
    if wait > 0:
        seconds = math.ceil(wait)
        return _login(request, f"Too many failed sign-ins: try again in {seconds} s.", 429, name,
                      {"retry-after": str(seconds)})
    user = await in_worker(request, accounts.verify, name, password)
    if user is None:
        throttle.failed(client, name)
        return _login(request, WRONG, 401, name)
    accounts.sign_in(request, user)
    return RedirectResponse(_next(_text(form, "next", 2000)), status_code=303)


async def logout(request: Request) -> Response:
    """End every session of this account (the epoch grows) and this cookie."""
    member = accounts.member_of(request)
    if member is not None:
        await in_worker(request, stored.end_sessions, member.id)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def invite_page(request: Request) -> Response:
    """An invite link: the form to choose a name and a password, if the link is still good."""
    secret = request.path_params["secret"]
    if not accounts.invite_is_open(store_of(request), secret):
        raise HTTPException(404, stored.INVALID_INVITE)
    return render(request, "account_join.html", title="Join", problem="", user_name="")


async def join(request: Request) -> Response:
    """Use the invite: create her account and profile, and sign her in."""
    form = await request.form()
    secret = request.path_params["secret"]
    name, password = _text(form, "name", 60), _text(form, "password", accounts.MAX_PASSWORD + 1)
    if password != _text(form, "again", accounts.MAX_PASSWORD + 1):
        problem = "The two passwords differ."
    else:
        try:
            user = await in_worker(request, accounts.accept_invite, secret, name, password)
        except PapersieveError as err:
            if str(err).startswith(stored.INVALID_INVITE):
                raise HTTPException(404, stored.INVALID_INVITE) from err
            problem = str(err)
        else:
            accounts.sign_in(request, user)
            return RedirectResponse("/account", status_code=303)
    return render(request, "account_join.html", 400, title="Join", problem=problem, user_name=name)


def account(request: Request) -> Response:
    """Her profiles (each with its topics editor) and, for an admin, the invites."""
    member = _member(request)
    store = store_of(request)
    invites = stored.invites_of(store, member.id) if member.is_admin else []
    return render(request, "account.html", title="Your account", member=member, invites=invites,
                  link=None)


async def invite(request: Request) -> Response:
    """An admin makes an invite link; the page shows it once."""
    member = _member(request)
    if not member.is_admin:
        raise HTTPException(403, "only an admin invites")
    form = await request.form()
    try:
        hours = int(_text(form, "hours", 6) or accounts.INVITE_HOURS)
        secret = await in_worker(request, accounts.new_invite, member.id, hours)
    except (ValueError, PapersieveError) as err:
        raise HTTPException(400, f"an invite lasts 1 to {accounts.MAX_INVITE_HOURS} hours") from err
    link = f"{str(request.base_url).rstrip('/')}/invite/{secret}"
    invites = stored.invites_of(store_of(request), member.id)
    return render(request, "account.html", title="Your account", member=member, invites=invites,
                  link=link)


def topics_page(request: Request) -> Response:
    """The topics editor of one of her stored profiles."""
    name, files = _own_profile(request)
    return render(request, "account_topics.html", title=f"Topics of {name}", profile=name,
                  topics=files.get(TOPICS_FILE, ""), problem="", saved=False)


async def save_topics(request: Request) -> Response:
    """Save the edited topics (a new revision of the stored profile)."""
    name, files = _own_profile(request)
    form = await request.form()
    topics = _lines(_text(form, "topics", MAX_TOPICS + 1))
    try:
        if len(topics) > MAX_TOPICS:
            raise HTTPException(400, f"topics are at most {MAX_TOPICS:,} characters")
        with_topics(files, name, topics)  # the checks of a run: nothing invalid is stored
        await in_worker(request, save_profile, name,
                                {**files, TOPICS_FILE: topics}, replace=True)
    except PapersieveError as err:
        return render(request, "account_topics.html", 400, title=f"Topics of {name}", profile=name,
                      topics=topics, problem=str(err), saved=False)
    return render(request, "account_topics.html", title=f"Topics of {name}", profile=name,
                  topics=topics, problem="", saved=True)


async def preview_topics(request: Request) -> Response:
    """The latest stored day's digest with the edited topics (htmx swaps it under the editor)."""
    name, files = _own_profile(request)
    form = await request.form()
    topics = _lines(_text(form, "topics", MAX_TOPICS + 1)[:MAX_TOPICS])
    try:
        shown = await in_worker(request, preview, files, name, topics)
    except PapersieveError as err:
        return render(request, "_preview.html", shown=None, problem=str(err), profile=name)
    return render(request, "_preview.html", shown=shown, problem="", profile=name)


def _member(request: Request) -> accounts.Member:
    member = accounts.member_of(request)
    if member is None:
        raise HTTPException(404, "no accounts in this app")
    return member


def _own_profile(request: Request) -> tuple[str, dict[str, str]]:
    """Her stored profile named in the path (another's is a 404, like one that does not exist)."""
    name = request.path_params["name"]
    accounts.require_profile(request, name)
    found = stored_profile(store_of(request), name)
    if found is None:
        raise HTTPException(404, "no such profile here")
    return name, found.files


def _text(form: FormData, key: str, limit: int) -> str:
    value = form.get(key, "")
    return value[:limit] if isinstance(value, str) else ""


def _lines(text: str) -> str:
    """A textarea's text with plain newlines: browsers send its lines joined by CRLF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
