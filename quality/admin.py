"""The quality admin: the review queue (quality.admin_reviews) and agents' scores and the
consequences staff decide (quality.admin_scores)."""

from quality import admin_reviews, admin_scores  # noqa: F401 - registers the model admins
