"""The unsubscribe link of the digest's emails (deliver/unsubscribe.py, issue 19).

GET shows what the link would do and a button (a mail scanner that opens every link must not
unsubscribe anyone); POST does it, and is also what a mail client's one-click unsubscribe
(RFC 8058: `List-Unsubscribe=One-Click` posted to the link) sends. The signed token is the
authority: these two routes need neither the access token nor a CSRF token
(web/security.py OPEN_PATHS), and they can only ever turn one address's emails off.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse

from papersieve.deliver.unsubscribe import read_token
from papersieve.store.unsubscribes import unsubscribe
from papersieve.web.context import in_worker

INVALID = ("This unsubscribe link is not valid (it was cut, or the server's key changed):"
           " ask the person who runs papersieve to take you off the list.")


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                        f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>"
                        f"{body}</body></html>", status_code=status)


async def page(request: Request) -> HTMLResponse:
    """What the link does, and the button that does it."""
    named = read_token(request.path_params["token"])
    if named is None:
        return _page("Unsubscribe", f"<p>{escape(INVALID)}</p>", 404)
    profile, address = named
    return _page("Unsubscribe", (
        f"<p>Stop sending the papersieve digest of <b>{escape(profile)}</b> to"
        f" <b>{escape(address)}</b>?</p><form method=\"post\">"
        "<button type=\"submit\" name=\"List-Unsubscribe\" value=\"One-Click\">Unsubscribe</button>"
        "</form>"))


async def confirm(request: Request) -> HTMLResponse:
    """Record the unsubscription (the button, or a mail client's one-click POST)."""
    named = read_token(request.path_params["token"])
    if named is None:
        return _page("Unsubscribe", f"<p>{escape(INVALID)}</p>", 404)
    profile, address = named
    await in_worker(request, unsubscribe, profile, address)
    return _page("Unsubscribed", f"<p>{escape(address)} gets no more of the papersieve digest of"
                                 f" {escape(profile)}.</p>")
