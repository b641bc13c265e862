"""The Atom feed: one permanent feed id, and distinct, stable `updated` times in rank order."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from typing import Any

from papersieve.render.atom import ATOM_NS, render_atom
from papersieve.render.json_out import digest_dict
from tests.digestfixtures import sample_digest

NS = {"a": ATOM_NS}


def _day(date: str) -> dict[str, Any]:
    day = copy.deepcopy(digest_dict(sample_digest()))
    day["date"] = date
    return day


def _entries(feed: str) -> list[tuple[str, str]]:
    root = ET.fromstring(feed)
    return [(e.findtext("a:id", namespaces=NS) or "", e.findtext("a:updated", namespaces=NS) or "")
            for e in root.findall("a:entry", NS)]


def test_every_entry_has_its_own_updated_time_in_rank_order_across_days() -> None:
    days = [_day("2026-03-10"), _day("2026-03-09"), _day("2026-03-06")]  # newest first, DST on 03-08
    entries = _entries(render_atom(days, "me"))
    stamps = [updated for _, updated in entries]
    assert len(entries) == 6 and len(set(stamps)) == 6
    assert stamps == sorted(stamps, reverse=True)  # newest day first, rank 1 first within a day
    # 20:00 US Eastern the evening before: 00:00 UTC in summer time, 01:00 UTC in winter time.
    assert stamps[:2] == ["2026-03-10T00:00:00Z", "2026-03-09T23:59:59Z"]
    assert stamps[4:] == ["2026-03-06T01:00:00Z", "2026-03-06T00:59:59Z"]


def test_updated_times_are_the_same_on_every_render() -> None:
    first = render_atom([_day("2026-03-10")], "me")
    again = render_atom([_day("2026-03-11"), _day("2026-03-10")], "me")
    assert set(_entries(first)) <= set(_entries(again))


def test_the_feed_id_does_not_change_when_site_url_is_set() -> None:
    ids = {ET.fromstring(render_atom([_day("2026-03-10")], "me", url)).findtext("a:id", namespaces=NS)
           for url in ("", "https://me.github.io/papers/", "https://example.org/sieve")}
    assert ids == {"urn:papersieve:me:feed"}
