"""Checks shared by the TL;DR / language tests (scripted server and real llama.cpp server): every
output of a day is valid in its own format and carries the judge's language correctly."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from papersieve.language import direction

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XHTML = "{http://www.w3.org/1999/xhtml}"
VOID = frozenset({"meta", "link", "br", "img", "input", "hr", "wbr", "source"})


class _Tags(HTMLParser):
    """Elements with their attributes, and whether every opened element was closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.lang: list[tuple[str, dict[str, str | None], str]] = []
        self._open: list[tuple[str, dict[str, str | None], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        self.stack.append(tag)
        self._open.append((tag, dict(attrs), []))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()
        name, attrs, text = self._open.pop()
        if "lang" in attrs:
            self.lang.append((name, attrs, "".join(text)))
        if self._open:
            self._open[-1][2].extend(text)

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)


def html_lang_elements(html: str) -> list[tuple[str, dict[str, str | None], str]]:
    """(tag, attributes, text) of every element with a `lang`; fails on badly nested tags."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    assert parser.errors == [] and parser.stack == [], (parser.errors, parser.stack)
    return parser.lang


def check_html(html: str, language: str, texts: list[str]) -> None:
    """Every text written in `language` sits in an element with its lang and dir."""
    elements = html_lang_elements(html)
    assert re.match(r'<!doctype html>\r?\n<html lang="en">', html)
    for text in texts:
        holders = [attrs for tag, attrs, inner in elements if text in inner and tag != "html"]
        assert holders, f"{text[:30]!r} is not in an element with a lang"
        assert all(a["lang"] == language and a["dir"] == direction(language) for a in holders)


def check_atom(path: Path, language: str, texts: list[str]) -> ET.Element:
    """The feed parses; each text in `language` is in an XHTML part with that xml:lang."""
    feed = ET.parse(path).getroot()
    parts = [el for el in feed.iter() if el.get(XML_LANG) == language]
    for text in texts:
        assert any(text == (el.text or "") for el in parts), text[:30]
        for el in parts:
            if el.tag.startswith(XHTML):
                assert el.get("dir") == direction(language)
    return feed


def check_email(mail: EmailMessage, texts: list[str], language: str) -> None:
    """Headers are ASCII (RFC 2047 where needed), the body parts decode as UTF-8 and hold the
    texts, and Content-Language names the language."""
    raw = mail.as_bytes()
    head = raw.split(b"\n\n", 1)[0]
    head.decode("ascii")
    assert mail["Content-Language"] == f"en, {language}"
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert plain is not None and html is not None
    plain_text, html_text = plain.get_content(), html.get_content()
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    for text in texts:
        assert text in plain_text and text in html_text
    check_html(html_text, language, texts)


def check_slack(bodies: list[dict[str, Any]], texts: list[str]) -> None:
    """Slack's JSON carries the texts whole (UTF-8, not mangled)."""
    joined = json.dumps(bodies, ensure_ascii=False)
    for text in texts:
        assert text in joined
