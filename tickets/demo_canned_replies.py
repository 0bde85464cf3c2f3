"""Canned replies that `seed_demo` loads for the demo brand, Acme Pay, so that an agent's
first conversation has them (agents type `/` in the message box to pick one). They follow
the demo help centre (tickets/assistant/data/demo_help_centre.json); admins edit or replace
them in the admin."""

# (title, language, body). A title is unique per language (canned_reply_title_per_language),
# which is how seed_demo recognises a reply it already created.
DEMO_CANNED_REPLIES: list[tuple[str, str, str]] = [
    (
        "Greeting",
        "en",
        "Hi, thanks for waiting! I'm here to help with your Acme Pay question. "
        "Let me read what you've told our assistant so far.",
    ),
    (
        "One moment, checking",
        "en",
        "Thanks, that helps. Give me a minute or two while I look into this for you.",
    ),
    (
        "Refund timing",
        "en",
        "Refunds are made by the store. As soon as the store tells us, we lower or cancel "
        "your invoice, usually within 1 business day. If you had already paid, the money goes "
        "back to the card or account you paid with and takes 5 to 10 business days to show. "
        "You can follow it under Invoices > Refunds.",
    ),
    (
        "Extend a due date",
        "en",
        "You can move an invoice's due date back by 30 days, once per invoice, as long as it "
        'is not yet overdue: open the invoice in the app and tap "Extend due date". It costs '
        "$2.99 for purchases under $100 and $4.99 above that.",
    ),
    (
        "Pause the invoice for a return",
        "en",
        "Please send the item back as the store's return policy explains, then open the "
        'purchase in the Acme Pay app and tap "Report a return". That pauses the invoice for '
        "30 days, so you won't pay while the store processes the return.",
    ),
    (
        "Never share card details",
        "en",
        "For your safety, please never send your full card number, security code (CVC), "
        "password or a one-time code in this chat. I will never ask for them.",
    ),
    (
        "Password reset link",
        "en",
        'On the sign-in screen tap "Forgot password?" and enter the email address on your '
        "account: we send a reset link that works for 30 minutes. If it doesn't arrive, "
        "check your spam folder and ask for a new one.",
    ),
    (
        "Anything else?",
        "en",
        "Is there anything else I can help you with today?",
    ),
    (
        "Closing",
        "en",
        "Glad I could help. I'll mark this conversation as resolved now; if anything else "
        "comes up, you can start a new conversation any time. Have a good day!",
    ),
    (
        "Saludo",
        "es",
        "¡Hola, gracias por esperar! Estoy aquí para ayudarte con tu consulta de Acme Pay.",
    ),
    (
        "Despedida",
        "es",
        "Me alegra haberte ayudado. Marcaré esta conversación como resuelta; si necesitas "
        "algo más, puedes empezar una nueva conversación cuando quieras.",
    ),
]
