"""Browser tests: real Chromium against a live server."""
