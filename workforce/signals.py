"""What workforce planning announces, for apps above it to act on (docs/architecture.md).

Each is sent inside the transaction of the change it announces, so a receiver's writes
commit or roll back with it.
"""

from django.dispatch import Signal

# A shift ended with its agent checked in and is now completed.
# Sent with: agent_id, assignment_id, ended_at.
shift_completed = Signal()

# A surge period opened for a language: customers wait too long and offline agents who
# opted in are asked to come online. Sent with: surge_period_id.
surge_started = Signal()
