"""papersieve: reads the day's new arXiv papers and keeps the ones that matter to you."""

__version__ = "0.1.0"
