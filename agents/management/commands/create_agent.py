"""Create an agent from the command line, for operators and scripts.

    python manage.py create_agent --email ana@example.com --password '…' \
        --skills billing,refunds --languages en,es --approved

With --approved the agent is active at once and may go online (an operator vouches for it,
so it skips verification, training and review). Without it the agent starts onboarding as an
applicant and is emailed a verification link. Checks are the services' own; a refused
agent leaves nothing behind.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from agents import onboarding, services
from agents.models import User


def comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class Command(BaseCommand):
    help = "Create an agent (user and profile); --approved makes it active at once."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--skills", type=comma_list, default=[], help="Comma list, e.g. billing,refunds."
        )
        parser.add_argument(
            "--languages", type=comma_list, default=["en"], help="Comma list, e.g. en,es."
        )
        parser.add_argument(
            "--approved", action="store_true", help="Active at once: may go online now."
        )

    def handle(self, *args, **options):
        email = options["email"].strip().lower()
        try:
            self._validate(email, options)
            with transaction.atomic():
                agent = services.agent_create(
                    email=email,
                    password=options["password"],
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                    languages=options["languages"],
                    skills=sorted({"general", *options["skills"]}),
                    active=options["approved"],
                )
                if not options["approved"]:
                    onboarding.agent_resend_verification(agent_id=agent.pk)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except IntegrityError:
            raise CommandError(f"An account with {email} already exists.") from None
        state = "active: may go online now" if options["approved"] else "applied"
        self.stdout.write(self.style.SUCCESS(f"Created agent {agent.user.email} ({state})."))
        if not options["approved"]:
            self.stdout.write("A verification link was emailed to the agent.")

    def _validate(self, email: str, options) -> None:
        """Everything is checked before anything is written, every problem reported at once."""
        problems = []
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"{email or '(blank)'} is not a valid email address.")
        for check, value in [
            (services.validate_languages, options["languages"]),
            (services.validate_skills, options["skills"]),
        ]:
            try:
                check(value)
            except ValidationError as error:
                problems.extend(error.messages)
        if User.objects.filter(email__iexact=email).exists():
            problems.append(f"An account with {email} already exists.")
        try:
            onboarding.validate_new_password(
                options["password"],
                email=email,
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except ValidationError as error:
            problems.extend(f"Password: {message}" for message in error.messages)
        if problems:
            raise ValidationError(problems)
