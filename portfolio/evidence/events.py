"""What evidence tells other features, without importing them: dependencies run assessment ->
evidence, so assessment listens here for the changes it keeps summaries of."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the Evidence inside the transaction of a new attempt, after its submission is
# flushed: a receiver's writes commit or roll back with it.
attempt_submitted = _signals.signal("attempt-submitted")
