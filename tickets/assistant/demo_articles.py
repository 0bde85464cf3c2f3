"""Knowledge articles for the fictional brand Acme (Acme Shop and the Acme Pay wallet).

Used by the demo seed and the assistant's tests. keywords is a list of strings; the
KnowledgeArticle model stores them comma-separated.
"""

DEMO_ARTICLES: list[dict] = [
    {
        "title": "Reset your password",
        "topic": "accounts",
        "language": "en",
        "keywords": ["forgot password", "reset", "login", "sign in", "locked out", "log in"],
        "body": (
            "To reset your password, open the Acme app or acme.example and choose "
            '"Forgot password?" on the sign-in screen. Enter the email address on your '
            "account and we'll send you a reset link that works for 30 minutes. If the email "
            "doesn't arrive, check your spam folder, then request a new link. After five "
            "wrong attempts your account locks for 15 minutes to keep it safe."
        ),
    },
    {
        "title": "How long refunds take",
        "topic": "refunds",
        "language": "en",
        "keywords": ["refund", "money back", "refund status", "reimbursement", "not refunded"],
        "body": (
            "Once we approve a refund it goes back to the original payment method. Refunds to "
            "an Acme Pay wallet arrive within minutes; refunds to a card take 5 to 10 business "
            "days to show on your statement, depending on your bank. You'll get an email when "
            "the refund is issued, and you can follow its status under Orders > Refunds."
        ),
    },
    {
        "title": "Return an item for a refund",
        "topic": "refunds",
        "language": "en",
        "keywords": ["return", "send back", "return label", "wrong size", "damaged item"],
        "body": (
            "You can return most items within 30 days of delivery. Go to Orders, choose the "
            'item and select "Return item" to print a free return label or get a QR code for '
            "drop-off. Pack the item with its original tags. We refund you as soon as the "
            "parcel is scanned at the warehouse, usually within 3 days of drop-off."
        ),
    },
    {
        "title": "Track your order",
        "topic": "shipping",
        "language": "en",
        "keywords": [
            "where is my order",
            "tracking number",
            "track",
            "parcel",
            "package",
            "not arrived",
            "late",
        ],
        "body": (
            "You'll find the tracking number in your shipping confirmation email and under "
            'Orders in the app. Tap "Track parcel" to see the courier\'s latest scan. Tracking '
            "can take up to 24 hours to update after dispatch. If your parcel hasn't moved for "
            "5 business days, let us know and we'll open an investigation with the courier."
        ),
    },
    {
        "title": "Shipping costs and delivery times",
        "topic": "shipping",
        "language": "en",
        "keywords": ["delivery", "shipping cost", "free shipping", "express", "how long"],
        "body": (
            "Standard delivery takes 3 to 5 business days and is free on orders over $50; "
            "below that it costs $4.99. Express delivery arrives the next business day when "
            "you order before 2 pm and costs $12.99. We currently ship to the US, Canada, "
            "Mexico and Spain."
        ),
    },
    {
        "title": "Change your delivery address",
        "topic": "shipping",
        "language": "en",
        "keywords": ["wrong address", "change address", "update address", "moved"],
        "body": (
            'You can change the delivery address while the order shows "Processing": open '
            'Orders, choose the order and select "Edit address". Once the order is '
            '"Dispatched" the address can no longer be changed, but you can redirect the '
            "parcel from the courier's tracking page."
        ),
    },
    {
        "title": "Pending and duplicate charges",
        "topic": "billing",
        "language": "en",
        "keywords": ["charged twice", "double charge", "pending", "authorization", "hold"],
        "body": (
            "When you place an order your bank may show a pending authorization hold. If you "
            "edit or cancel the order before it ships, a second hold can appear for a few "
            "days. Only one charge is ever captured; the extra hold disappears automatically "
            "within 3 to 7 business days without any action from you."
        ),
    },
    {
        "title": "Update your payment method",
        "topic": "billing",
        "language": "en",
        "keywords": ["change card", "new card", "expired card", "payment details", "add card"],
        "body": (
            'To add or change a card, open Account > Payment methods and select "Add card". '
            "You can set any saved card as the default for future orders. Subscriptions and "
            "saved orders use the default card from their next payment onwards. Remove an "
            "expired card by swiping left on it."
        ),
    },
    {
        "title": "Card declined at checkout",
        "topic": "billing",
        "language": "en",
        "keywords": ["declined", "payment failed", "card not working", "can't checkout"],
        "body": (
            "A payment is usually declined because the billing address doesn't match the one "
            "your bank has, the card has expired, or the bank's 3-D Secure check wasn't "
            "completed. Check those details and try again. If it's still declined, your bank "
            "can tell you why: Acme never sees the bank's reason."
        ),
    },
    {
        "title": "The app won't open or keeps crashing",
        "topic": "technical",
        "language": "en",
        "keywords": ["app crash", "crashing", "not loading", "blank screen", "bug", "update"],
        "body": (
            "Make sure you have the latest version of the Acme app from the App Store or "
            "Google Play, then restart your phone. If the app still crashes, sign out, clear "
            "its cache (Android) or reinstall it (iPhone) and sign back in: your orders and "
            "wallet are stored in your account, not on the phone."
        ),
    },
    {
        "title": "Restablecer tu contraseña",
        "topic": "accounts",
        "language": "es",
        "keywords": ["olvidé mi contraseña", "restablecer", "iniciar sesión", "acceso"],
        "body": (
            'Para restablecer tu contraseña, abre la app de Acme y elige "¿Olvidaste tu '
            'contraseña?" en la pantalla de inicio de sesión. Te enviaremos un enlace al '
            "correo electrónico de tu cuenta que caduca a los 30 minutos. Si no lo recibes, "
            "revisa la carpeta de spam."
        ),
    },
    {
        "title": "Plazos de reembolso",
        "topic": "refunds",
        "language": "es",
        "keywords": ["reembolso", "devolución del dinero", "cuándo", "días"],
        "body": (
            "Cuando aprobamos un reembolso, el dinero vuelve al método de pago original. En el "
            "monedero Acme Pay llega en minutos; en una tarjeta tarda de 5 a 10 días hábiles "
            "en aparecer, según tu banco. Te avisaremos por correo cuando se emita."
        ),
    },
]
