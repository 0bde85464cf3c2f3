urlpatterns: list = [
    # Customer-facing pages of the conversations app (chat page, embed script) go here.
]
