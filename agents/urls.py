urlpatterns: list = [
    # Agent-facing pages (sign-up, verification, training, portal) go here.
]
