"""Renderers: one judged day (a `Digest`) to Markdown, JSON, HTML and Atom."""
