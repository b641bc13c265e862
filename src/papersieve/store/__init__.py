"""The SQLite store: the record of papers, listings, runs, judgements, LLM calls and feedback."""

from papersieve.store.db import Store, open_store

__all__ = ["Store", "open_store"]
