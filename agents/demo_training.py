"""Training modules and quiz questions that `seed_demo` loads, so the onboarding flow works
end to end after `make run`. Admins edit or replace them in the admin."""

DEMO_MODULES = [
    {
        "slug": "how-humanline-works",
        "title": "How Humanline works",
        "summary": "The queue, claiming, and what customers see.",
        "body": (
            "Customers first talk to our assistant. When they ask for a person, or the "
            "assistant is unsure, the conversation joins the queue.\n\n"
            "You see the queue for your languages and skills. Claim a conversation you can "
            "handle; exactly one agent gets each one. The customer sees your first name.\n\n"
            "Resolve the conversation when the customer's problem is solved, or release it "
            "if you cannot help, so it goes back to the front of the queue. You are paid for "
            "every ticket you resolve."
        ),
    },
    {
        "slug": "money-and-safety",
        "title": "Money, accounts and safety",
        "summary": "Refunds, disputes, and the details you must never ask for.",
        "body": (
            "Never ask for a full card number, a security code (CVC), a password or a "
            "one-time code. If a customer types one, do not repeat it; our system hides it.\n\n"
            "Refunds follow the policy in the knowledge base: a refund goes back to the "
            "original payment method, and takes 5 to 10 business days to appear.\n\n"
            "A chargeback or dispute is handled by the disputes team: take the details, "
            "reassure the customer, and escalate. Do not promise an outcome."
        ),
    },
    {
        "slug": "spotting-fraud",
        "title": "Spotting fraud",
        "summary": "What account takeovers and refund scams look like.",
        "body": (
            "Be careful when someone asks to change the email or phone number on an account "
            "and, in the same conversation, asks for a refund to a new card.\n\n"
            "Urgency and pressure are warning signs. Follow the verification steps in the "
            "knowledge base, and if anything feels wrong, flag the ticket for the fraud team."
        ),
    },
]

# Each question: (text, [(choice, is_correct), …]); exactly one choice is correct.
DEMO_QUESTIONS = [
    (
        "A customer offers to read you their card's security code (CVC) to speed things up. "
        "What do you do?",
        [
            ("Write it down so the billing team can use it", False),
            ("Tell them never to share it, and carry on without it", True),
            ("Ask for the full card number as well", False),
        ],
    ),
    (
        "How long does a refund usually take to appear on the customer's statement?",
        [
            ("Instantly", False),
            ("5 to 10 business days", True),
            ("60 days", False),
        ],
    ),
    (
        "You claimed a conversation but realise you cannot help with it. What should you do?",
        [
            ("Release it so it goes back to the front of the queue", True),
            ("Leave it open until the customer gives up", False),
            ("Close it as resolved", False),
        ],
    ),
    (
        "Someone changes the email on an account and immediately asks for a refund to a new "
        "card. What is this most likely to be?",
        [
            ("A routine request", False),
            ("A sign of an account takeover: follow the verification steps and flag it", True),
            ("A billing error", False),
        ],
    ),
    (
        "A customer disputes a charge with their bank. What do you do?",
        [
            ("Promise them the money back today", False),
            ("Take the details, reassure them, and escalate to the disputes team", True),
            ("Tell them nothing can be done", False),
        ],
    ),
]
