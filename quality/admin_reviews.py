"""The review queue in the admin: scoring a conversation on the rubric, settling disputes."""
