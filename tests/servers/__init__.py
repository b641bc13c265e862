"""Loopback servers that stand in for the outside world in tests (real HTTP/SMTP on 127.0.0.1)."""
