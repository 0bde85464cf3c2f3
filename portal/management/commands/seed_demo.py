"""Demo data for `make run`: idempotent, so it runs on every start."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from agents import onboarding
from agents import services as agent_services
from agents.demo_training import DEMO_MODULES, DEMO_QUESTIONS
from agents.models import Agent, QuizChoice, QuizQuestion, TrainingModule, User
from payouts.models import RateCard, RateCardEntry
from portal import demo_history
from quality import scoring
from tickets import knowledge
from tickets.assistant.demo_articles import DEMO_HELP_CENTRE_PATH
from tickets.demo_canned_replies import DEMO_CANNED_REPLIES
from tickets.models import CannedReply, Ticket
from workforce import calendar, forecast, shifts
from workforce.models import ShiftSlot

DEFAULT_PASSWORD = "humanline-demo"  # noqa: S105 - documented demo password, refused with DEBUG off

FIRST_NAMES = [
    "Ana",
    "Ben",
    "Chloé",
    "Dev",
    "Emeka",
    "Fatima",
    "Gabriel",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lucía",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
]
SEGMENTS = [Agent.Segment.STUDENT, Agent.Segment.RURAL, Agent.Segment.BRAND_FAN]
SKILL_SETS = [
    ["general", "billing", "refunds"],
    ["general", "technical", "accounts"],
    ["general", "billing", "disputes", "fraud"],
    ["general", "refunds", "accounts", "billing"],
]
LANGUAGE_SETS = [["en"], ["en", "es"], ["en"], ["en", "fr"]]
# Days of quality scores computed from the demo agents' history, as the nightly run would have.
QUALITY_DAYS = 7
RATE_CARD = {  # minor units (cents) by priority
    Ticket.Priority.LOW: 150,
    Ticket.Priority.NORMAL: 250,
    Ticket.Priority.HIGH: 400,
    Ticket.Priority.URGENT: 600,
}


class Command(BaseCommand):
    help = (
        "Create demo data: an admin, active agents with ten weeks of past conversations and "
        "the quality scores they lead to, a knowledge base, canned replies, a rate card, "
        "shifts, the training modules and quiz that new agents take, and an applicant who "
        "passed it and waits for review."
    )

    def add_arguments(self, parser):
        parser.add_argument("--agents", type=int, default=8)
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, agents: int, password: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a known password; with DEBUG off it needs --force."
            )
        if not 0 <= agents <= 99:
            raise CommandError("--agents must be between 0 and 99.")
        with transaction.atomic():
            self._admin(password)
            created = self._agents(agents, password)
            new_articles, updated_articles = self._articles()
            canned = self._canned_replies()
            self._rate_card()
            # Before the shifts: the forecast then reads the same history on every run.
            history = self._quality_history()
            slots = self._shift_slots()
            training = self._training()
            self._applicant(password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: admin@example.com, {agents} agents ({created} new), "
                f"{history} new past conversations, {new_articles} new and {updated_articles} "
                f"updated articles, {canned} new canned replies, {slots} new shift slots, "
                f"{training} new training modules and quiz questions, an applicant awaiting "
                "review (applicant@example.com). "
                f"Password: {password}"
            )
        )

    def _admin(self, password: str) -> None:
        if not User.objects.filter(email="admin@example.com").exists():
            User.objects.create_superuser(
                email="admin@example.com", password=password, first_name="Ada"
            )

    def _agents(self, count: int, password: str) -> int:
        created = 0
        for i in range(1, count + 1):
            email = f"agent{i:02d}@example.com"
            if User.objects.filter(email=email).exists():
                continue
            agent = agent_services.agent_create(
                email=email,
                password=password,
                first_name=FIRST_NAMES[(i - 1) % len(FIRST_NAMES)],
                languages=LANGUAGE_SETS[(i - 1) % len(LANGUAGE_SETS)],
                skills=SKILL_SETS[(i - 1) % len(SKILL_SETS)],
                segment=SEGMENTS[(i - 1) % len(SEGMENTS)],
                country=["US", "IN", "MX", "NG", "FR"][(i - 1) % 5],
                active=True,
            )
            agent.weekly_availability = {
                day: [["09:00", "17:00"]] for day in ["mon", "tue", "wed", "thu", "fri"]
            }
            agent.save(update_fields=["weekly_availability"])
            created += 1
        return created

    def _quality_history(self) -> int:
        """Ten weeks of resolved conversations for the demo agents that have none
        (portal.demo_history), then their quality scores for the last week as the nightly
        computation would have made them, day by day: the scores, tiers, metrics and My
        quality pages all follow from the history. Agents that have resolved anything, here
        or live, are left alone, and with nothing new nothing is recomputed."""
        agents = list(
            Agent.objects.filter(user__email__regex=r"^agent\d\d@example\.com$")
            .exclude(pk__in=Ticket.objects.filter(resolved_by__isnull=False).values("resolved_by"))
            .select_related("user")
            .order_by("user__email")
        )
        if not agents:
            return 0
        now = timezone.now()
        created = demo_history.demo_history_create(
            agents=agents, reviewer=User.objects.get(email="admin@example.com"), now=now
        )
        for days_ago in range(QUALITY_DAYS - 1, -1, -1):
            scoring.agent_quality_scores_compute(at=now - timedelta(days=days_ago))
        return created

    def _applicant(self, password: str) -> None:
        """An applicant awaiting review, so the review queue has someone in it. Taken along
        the applicant's own path (apply, verify, train, pass the quiz) by the services, so
        the audit trail reads as a real one; no email is sent."""
        email = "applicant@example.com"
        if User.objects.filter(email=email).exists():
            return
        agent = agent_services.agent_create(
            email=email,
            password=password,
            first_name="Nia",
            last_name="Wanjiru",
            segment=Agent.Segment.STUDENT,
            country="KE",
            time_zone="Africa/Nairobi",
            languages=["en", "fr"],
            skills=["general", "billing", "refunds"],
            weekly_availability={
                "mon": [["17:00", "21:00"]],
                "wed": [["17:00", "21:00"]],
                "fri": [["14:00", "21:00"]],
                "sat": [["09:00", "13:00"]],
            },
            motivation=(
                "I study accounting in Nairobi and already help classmates sort out their "
                "mobile money and bank apps. I write clearly in English and French, and I "
                "like getting to the bottom of a billing problem."
            ),
        )
        onboarding.agent_verify_email(token=onboarding.email_verification_token(agent))
        onboarding.agent_start_training(agent_id=agent.pk)
        answers = {
            question.pk: next(c.pk for c in question.choices.all() if c.is_correct)
            for question in onboarding.quiz_questions()
        }
        onboarding.quiz_attempt_submit(agent_id=agent.pk, answers=answers)

    def _articles(self) -> tuple[int, int]:
        """The demo help centre, imported as a company imports its own: new articles
        created, demo articles whose text changed in the file updated, others left alone."""
        try:
            entries = knowledge.knowledge_path_read(path=DEMO_HELP_CENTRE_PATH)
        except knowledge.KnowledgeFileInvalid as invalid:
            raise CommandError(f"The demo help centre was refused:\n{invalid}") from None
        report = knowledge.knowledge_import(entries=entries)
        return len(report.created), len(report.updated)

    def _canned_replies(self) -> int:
        """The demo brand's canned replies, matched by title and language, so that an admin's
        edits and other replies are left alone and nothing is duplicated."""
        created = 0
        for title, language, body in DEMO_CANNED_REPLIES:
            _, was_created = CannedReply.objects.get_or_create(
                title=title, language=language, defaults={"body": body}
            )
            created += was_created
        return created

    def _rate_card(self) -> None:
        if RateCard.objects.exists():
            return
        card = RateCard.objects.create(
            name="Launch rates",
            effective_from=timezone.now().replace(
                month=1, day=1, hour=0, minute=0, second=0, microsecond=0
            ),
            currency=settings.PAYOUT_CURRENCY,
            top_rating_bonus_cents=50,
            shift_completion_bonus_cents=300,
            surge_multiplier_pct=150,
            probation_multiplier_pct=100,
            standard_multiplier_pct=100,
            expert_multiplier_pct=110,
        )
        RateCardEntry.objects.bulk_create(
            [
                RateCardEntry(rate_card=card, priority=priority, skill="", amount_cents=cents)
                for priority, cents in RATE_CARD.items()
            ]
            + [
                RateCardEntry(
                    rate_card=card, priority=Ticket.Priority.HIGH, skill="fraud", amount_cents=500
                )
            ]
        )

    def _training(self) -> int:
        """Training modules and quiz questions, matched by slug and text so that an admin's
        other questions are left alone and nothing is duplicated."""
        created = 0
        for position, module in enumerate(DEMO_MODULES, start=1):
            _, was_created = TrainingModule.objects.get_or_create(
                slug=module["slug"],
                defaults={
                    "title": module["title"],
                    "summary": module["summary"],
                    "body": module["body"],
                    "position": position,
                },
            )
            created += was_created
        for position, (text, choices) in enumerate(DEMO_QUESTIONS, start=1):
            question, was_created = QuizQuestion.objects.get_or_create(
                text=text, defaults={"position": position}
            )
            if was_created:
                QuizChoice.objects.bulk_create(
                    QuizChoice(question=question, text=choice, is_correct=correct, position=i)
                    for i, (choice, correct) in enumerate(choices, start=1)
                )
            created += was_created
        return created

    def _shift_slots(self) -> int:
        """Shift slots for this week and the next, planned like production: a forecast from
        ticket history (two weeks of demo escalations when there is none), Erlang C
        staffing, four-hour blocks. Matching is left to the periodic task (or match_shifts)."""
        now = timezone.now()
        # None but the demo agents' past conversations (_quality_history), a few a day, too
        # few to plan shifts from: write the demo escalations.
        if not Ticket.objects.filter(escalated_at__isnull=False, resolved_by__isnull=True).exists():
            self._demo_ticket_history(now)
        before = ShiftSlot.objects.count()
        for week_start in (calendar.week_start_of(now), calendar.next_week_start(now)):
            forecast.week_demand_plan(week_start=week_start, now=now)
            shifts.shift_slots_plan(week_start=week_start)
        return ShiftSlot.objects.count() - before

    def _demo_ticket_history(self, now) -> None:
        # Resolved escalations over the last two weeks, busy 08:00-20:00 UTC: English general
        # and billing, some Spanish. Deterministic, so every demo forecasts the same week.
        queues = [("en", "general", 3), ("en", "billing", 1), ("es", "general", 1)]
        start = (now - timedelta(days=14)).replace(minute=0, second=0, microsecond=0)
        tickets = []
        for half_hour in range(14 * 48):
            at = start + timedelta(minutes=30 * half_hour)
            if not 8 <= at.hour < 20 or at >= now:
                continue
            for language, skill, per_half_hour in queues:
                for k in range(per_half_hour):
                    escalated = at + timedelta(minutes=7 * k + 3)
                    tickets.append(
                        Ticket(
                            status=Ticket.Status.RESOLVED,
                            customer_name="Demo customer",
                            language=language,
                            topic=skill,
                            required_skills=[skill],
                            escalated_at=escalated,
                            claimed_at=escalated + timedelta(seconds=40),
                            resolved_at=escalated + timedelta(minutes=9, seconds=40),
                        )
                    )
        Ticket.objects.bulk_create(tickets, batch_size=500)
