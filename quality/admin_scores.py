"""Agents' quality scores, thresholds and the consequences staff decide, in the admin."""
