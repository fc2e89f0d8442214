"""Learners' evidence: drafts built from evidence type specs, and frozen signed submissions."""

# Attachment routes live in attachment_views.py, on this same blueprint; importing the module is
# what registers them, so it must happen here, before create_app registers bp.
from portfolio.evidence import attachment_views as attachment_views

# The personal-data and real-work check actions live in check_views.py, on this same blueprint,
# registered the same way.
from portfolio.evidence import check_views as check_views
from portfolio.evidence.views import bp as bp
