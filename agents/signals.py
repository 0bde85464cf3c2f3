"""What the agents app announces, for apps above it to act on (docs/architecture.md)."""

from django.dispatch import Signal

# An agent stopped being active (suspended, or the like): it may no longer hold or be
# offered conversations. Sent inside the transaction of the change, with: agent_id, reason.
agent_left_active = Signal()
