"""The signed-in home page."""

from portfolio.dashboard.views import bp as bp
