"""Prefilters: decide some candidates before (or beside) the judge."""
