"""Imported only by the rendering fork server: one small render at start-up loads fonts and
WeasyPrint's caches there once, so every render's child (a fork of it) starts warm."""

from pathlib import Path

from portfolio.core.pdf import render_html

render_html("<p>warm</p>", Path(__file__).resolve().parent.parent / "static")
