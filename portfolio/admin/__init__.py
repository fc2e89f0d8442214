"""Administration of users and caseloads."""

from portfolio.admin.views import bp as bp
