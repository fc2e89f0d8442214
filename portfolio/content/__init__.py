"""Revision material: Markdown pages tied to elements and marking points."""

from portfolio.content.views import bp as bp
