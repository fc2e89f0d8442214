"""A generated training centre of a given size, built through the app's own rules, for the
benchmark and the statement-count tests.

Rows are written with bulk inserts of exactly the columns the services would write, with every
derived value worked out as the services work it out: the declaration hash is
evidence.services.content_hash, the checks record is evidence.flags' own, every decision passes
assessment.marking.marking_problem, IQA samples are what iqa.sampling.propose proposes, quiz
answers are marked by quizzes.marking and held misconceptions replayed with the quiz service's
rules, and the audit trail is chained with core.audit's own hash, in time order, after whatever
trail the database already holds (so `verify_chain()` passes). Built onto an existing centre it
adds to it: new people, new ids, new emails.

    python -m bench.centre --size large [--database URL] [--fresh]

The package: sizes (what to build), records (the plan in memory), one module per area that plans
it and writes its rows (staff, evidence, iqa, sign_offs, audit; quiz history is bench/quizzes.py),
rows (bulk inserts), build (build_centre) and cli.
"""

from bench.centre.base import WINDOW_DAYS
from bench.centre.build import Planner, build_centre
from bench.centre.cli import main
from bench.centre.rows import BATCH
from bench.centre.sign_offs import snapshot_points
from bench.centre.sizes import PASSWORD, SIZES, Login, Size, Stats, scaled

__all__ = [
    "BATCH",
    "PASSWORD",
    "SIZES",
    "WINDOW_DAYS",
    "Login",
    "Planner",
    "Size",
    "Stats",
    "build_centre",
    "main",
    "scaled",
    "snapshot_points",
]
