"""Path converters for the conversation token, in HTTP urls and websocket routes alike."""

from tickets.models import CONVERSATION_TOKEN_PATTERN


class ConversationTokenConverter:
    """``<conversation_token:token>``: a path whose token is not token-shaped does not match.

    So a NUL (``%00``) or any other garbage never reaches a query: PostgreSQL refused a NUL
    in the lookup with an error, an HTTP 500. Such a path is a 404 (over a websocket, the
    close code 4404 of marketplace/routing.py) like an unknown token.
    """

    regex = CONVERSATION_TOKEN_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
