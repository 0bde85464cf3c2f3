from django import template

from payouts.money import format_money

register = template.Library()


@register.filter
def money(amount_minor: int | None, currency: str) -> str:
    """``{{ line.amount_cents|money:line.currency }}`` → ``$2.50``."""
    return format_money(amount_minor or 0, currency)
