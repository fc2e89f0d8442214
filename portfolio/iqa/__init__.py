"""Internal quality assurance: sampling plans, samples of assessors' decisions, verdicts."""

# The models must be known to the metadata (create_all, Alembic) before any view exists.
from portfolio.iqa import models as models
from portfolio.iqa.views import bp as bp
