"""Misconception quizzes: banks loaded from content/, attempts and answers stored."""

from portfolio.quizzes.views import bp as bp
