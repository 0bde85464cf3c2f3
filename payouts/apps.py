from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = "Pay and payouts"

    def ready(self) -> None:
        from payouts import receivers  # noqa: F401 - connects the receivers
