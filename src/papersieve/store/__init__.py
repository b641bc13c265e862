"""The SQLite store: the record of papers, listings, runs, judgements, LLM calls and feedback."""

from papersieve.store.db import Store, open_store, open_store_to_read

__all__ = ["Store", "open_store", "open_store_to_read"]
