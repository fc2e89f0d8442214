"""Assessment decisions and tracking against marking points."""

from portfolio.assessment.views import bp as bp
