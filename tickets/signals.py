"""What tickets announce, for apps above it to act on (docs/architecture.md).

Each is sent inside the transaction of the change it announces, with the ticket row as it
now is, so a receiver's writes commit or roll back with the change.
"""

from django.dispatch import Signal

# An agent resolved the ticket. Sent with: ticket.
ticket_resolved = Signal()

# The customer rated the resolved ticket (once). Sent with: ticket.
ticket_rated = Signal()

# The resolution was confirmed: by the customer, or by the reopen window passing quietly
# (ticket.resolution_confirmed_by says which). From now on it counts as resolved for pay and
# metrics; payouts releases the pay line it held. Sent with: ticket.
resolution_confirmed = Signal()

# A resolved ticket went back to the queue: the customer said it did not solve the problem,
# or wrote again within the reopen window. Payouts reverses the resolving agent's pay line;
# quality puts the conversation up for review. Sent with: ticket, agent_id (who had
# resolved it), reason ("not_solved" or "wrote_again").
ticket_reopened = Signal()

# The customer reported the conversation (a tickets.models.Complaint). Quality puts it up
# for review at once. Sent with: complaint.
ticket_reported = Signal()

# The dispatcher offered queued tickets to agents (tickets.dispatch.dispatch_round), once per
# round. Sent with: offers (the Offer rows made, each with its ticket loaded). Payouts quotes
# each offer's pay on hearing it (payouts.receivers.quote_offer_pay, docs/dispatch.md).
offers_made = Signal()

# Asked, not announced: the wait estimate (tickets.selectors.dispatch_view) sends it when
# nobody who can take a ticket is online, so that an app above that plans shifts can say when
# such an agent is expected. Sent with: language, skills (a frozenset), now. A receiver
# answers with a datetime, or None if it cannot say; the earliest answer is used. Nothing
# is written, so it is safe outside a transaction.
help_expected = Signal()
