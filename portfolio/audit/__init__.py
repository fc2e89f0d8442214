"""The audit view: the hash-chained trail (kept by portfolio/core/audit.py), filtered."""

from portfolio.audit.views import bp as bp
