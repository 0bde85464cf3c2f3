from celery import shared_task

from marketplace import health


@shared_task(name="marketplace.tasks.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> None:
    """Run by beat every BEAT_HEARTBEAT_SECONDS, 15 (the in-process scheduler in the embedded
    profile); /readyz reads the time it records. Idempotent: a second run only moves the time
    on."""
    health.record_beat_heartbeat()
