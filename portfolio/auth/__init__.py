"""Accounts, roles and sessions."""

from portfolio.auth.views import bp as bp
