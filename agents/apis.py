from django.contrib.auth import authenticate, login
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import services
from agents.models import Agent
from agents.serializers import SessionLoginInput, SessionLoginOutput
from core import api_errors
from core.client_address import client_address


class SessionLoginApi(APIView):
    """Log in for clients other than the browser (apps, load tests); sets the session cookie."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=SessionLoginInput,
        parameters=[api_errors.retry_after(503)],
        responses={
            200: SessionLoginOutput,
            400: api_errors.BAD_REQUEST,
            401: api_errors.refusal("Wrong email or password."),
            406: api_errors.NOT_ACCEPTABLE,
            415: api_errors.UNSUPPORTED_MEDIA_TYPE,
            429: api_errors.refusal("Too many failed logins for this email or client address."),
            503: api_errors.UNAVAILABLE,
        },
    )
    def post(self, request):
        data = SessionLoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        email, password = data.validated_data["email"], data.validated_data["password"]
        address = client_address(request)
        if not services.login_attempt_reserve(email=email, address=address):
            return Response(
                {"detail": "Too many login attempts. Try again later."},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        user = authenticate(request, username=email, password=password)
        if user is None:  # a failure: the attempt keeps its reserved slot
            return Response(
                {"detail": "Wrong email or password."}, status=status.HTTP_401_UNAUTHORIZED
            )
        services.login_succeeded(email=email, address=address)
        login(request, user)
        agent_id = Agent.objects.filter(user=user).values_list("pk", flat=True).first()
        return Response(SessionLoginOutput({"email": user.email, "agent_id": agent_id}).data)
