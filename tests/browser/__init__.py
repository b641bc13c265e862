"""End-to-end tests of the web app in a real headless Chromium (Debian's), driven by Playwright."""
