"""The portfolio PDF for the awarding organisation."""

from portfolio.export.views import bp as bp
