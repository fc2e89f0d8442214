"""The portfolio PDF for the awarding organisation, made by background export jobs."""

from portfolio.export import models as models
from portfolio.export.views import bp as bp
