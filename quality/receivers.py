"""Quality listens: what tickets announce that a reviewer should see (docs/quality.md).

Connected in ``QualityConfig.ready``.
"""
