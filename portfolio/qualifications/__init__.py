"""The qualification as data: qualification -> unit -> element -> marking points."""

from portfolio.qualifications.views import bp as bp
