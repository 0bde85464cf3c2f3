"""Run the payout path at once: end holds, gather payable lines into payouts, send them."""

from django.core.management.base import BaseCommand

from payouts import ledger, services
from payouts.models import Payout
from payouts.money import format_money


class Command(BaseCommand):
    help = (
        "Gather every agent's payable earnings into payouts and send the due ones to Stripe "
        "now, the same path as the periodic task; prints what it paid."
    )

    def handle(self, *args, **options) -> None:
        released = ledger.earning_lines_release_held()
        created = services.payouts_assemble()
        self.stdout.write(f"{released} line(s) left their hold; {len(created)} payout(s) created.")
        paid = failed = retrying = 0
        for payout_id in services.payouts_due():
            try:
                payout = services.payout_send(payout_id=payout_id)
            except services.TransientPayoutError as error:
                retrying += 1
                self.stdout.write(
                    f"Payout #{payout_id}: Stripe unreachable, retry scheduled ({error})"
                )
                continue
            amount = format_money(payout.amount_cents, payout.currency)
            who = payout.agent.user.email
            if payout.status == Payout.Status.PAID:
                paid += 1
                self.stdout.write(
                    f"Payout #{payout.pk}: paid {amount} to {who} ({payout.stripe_transfer_id})"
                )
            elif payout.status == Payout.Status.FAILED:
                failed += 1
                self.stdout.write(
                    f"Payout #{payout.pk}: FAILED {amount} to {who}: {payout.failure_reason}"
                )
        self.stdout.write(f"Paid {paid}, failed {failed}, retrying {retrying}.")
        if failed:
            self.stderr.write(self.style.WARNING(f"{failed} payout(s) failed; see the admin."))
