"""Session-wide local cloud for tests: the same DemoCloud that `ecan demo-cloud` serves."""

from __future__ import annotations
