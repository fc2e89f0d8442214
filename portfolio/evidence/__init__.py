"""Learners' evidence: drafts built from evidence type specs, and frozen signed submissions."""

from portfolio.evidence.views import bp as bp
