"""Assessment decisions and tracking against marking points."""

# The tracking pages, CSV downloads and sign-off live in tracking_views.py, the queue and the
# overdue list in caseload_views.py, and marking and the comment bank in marking_views.py, on
# this same blueprint; importing the modules is what registers them, so it must happen here,
# before create_app registers bp.
from portfolio.assessment import caseload_views as caseload_views
from portfolio.assessment import marking_views as marking_views

# Keeps each learner's met points in step with new attempts (it listens to evidence).
from portfolio.assessment import progress as progress
from portfolio.assessment import tracking_views as tracking_views
from portfolio.assessment.views import bp as bp
