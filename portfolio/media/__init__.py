"""Images for revision pages: uploaded by tutors, stored outside the web root, served by id."""

from portfolio.media.views import bp as bp
