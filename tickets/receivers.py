"""What tickets does when the apps below it announce something (docs/architecture.md).

Connected in ``TicketsConfig.ready``.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from agents.signals import agent_left_active
from core.jobs import enqueue_coalesced_on_commit
from tickets import events, services
from tickets.models import KnowledgeArticle


@receiver(agent_left_active, dispatch_uid="tickets.requeue_for_agent_who_left")
def return_tickets_of_agent_who_left(sender, *, agent_id: int, reason: str, **kwargs) -> None:
    """In the announcing transaction: the agent's tickets go back to the queue, first in
    line; after commit its open sockets are closed."""
    services.tickets_requeue_for_agent(agent_id=agent_id, reason=reason)
    transaction.on_commit(lambda: events.close_agent_sockets(agent_id))


@receiver(post_save, sender=KnowledgeArticle, dispatch_uid="tickets.prepare_assistant_on_save")
@receiver(post_delete, sender=KnowledgeArticle, dispatch_uid="tickets.prepare_assistant_on_delete")
def prepare_assistant_after_knowledge_changed(sender, **kwargs) -> None:
    """Embed the changed help centre in the background, so no customer waits for it."""
    enqueue_coalesced_on_commit("tickets.tasks.prepare_assistant")
