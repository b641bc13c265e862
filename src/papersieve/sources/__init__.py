"""Where listings come from: arXiv's daily feeds, its query API and OAI-PMH, and local files."""
