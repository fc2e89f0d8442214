"""Misconception quizzes: banks loaded from content/, attempts and answers stored."""

# The question bank's routes live in authoring_views.py, on this same blueprint; importing
# the module is what registers them, so it must happen here, before create_app registers bp.
from portfolio.quizzes import authoring_views as authoring_views
from portfolio.quizzes.views import bp as bp
