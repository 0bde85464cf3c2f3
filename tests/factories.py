import factory
from django.utils import timezone

from agents.models import Agent, User
from tickets.models import KnowledgeArticle, Ticket

PASSWORD = "correct horse battery staple"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AgentFactory(factory.django.DjangoModelFactory):
    """An active agent, online, speaking English with general skills."""

    class Meta:
        model = Agent

    user = factory.SubFactory(UserFactory)
    status = Agent.Status.ACTIVE
    languages = factory.LazyFunction(lambda: ["en"])
    skills = factory.LazyFunction(lambda: ["general"])
    capacity = 3
    is_online = True
    connection_count = 1
    last_seen_at = factory.LazyFunction(timezone.now)


class TicketFactory(factory.django.DjangoModelFactory):
    """A conversation still with the assistant."""

    class Meta:
        model = Ticket

    customer_name = factory.Faker("name")
    customer_email = factory.Faker("email")
    language = "en"
    topic = "billing"


class QueuedTicketFactory(TicketFactory):
    status = Ticket.Status.QUEUED
    escalated_at = factory.LazyFunction(timezone.now)
    escalation_reason = Ticket.EscalationReason.CUSTOMER_REQUEST
    required_skills = factory.LazyFunction(lambda: ["general"])
    summary = "Customer asks about a double charge."


class KnowledgeArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KnowledgeArticle

    title = factory.Sequence(lambda n: f"Article {n}")
    body = "How to reset your password: open Settings, then Security, then Reset."
    topic = "accounts"
    language = "en"
    keywords = "password, reset, login"
