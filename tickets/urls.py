from django.urls import path

from tickets import views
from tickets.integration_apis import EscalationCreateApi

urlpatterns: list = [
    path("chat/", views.chat_page, name="chat"),
    path("chat/embed-example/", views.embed_example, name="chat-embed-example"),
    path(
        "chat/<conversation_token:token>/transcript.txt",
        views.chat_transcript,
        name="chat-transcript",
    ),
    path("chat/<conversation_token:token>/report/", views.chat_report, name="chat-report"),
    path("api/v1/escalations/", EscalationCreateApi.as_view(), name="api-escalation-create"),
]
