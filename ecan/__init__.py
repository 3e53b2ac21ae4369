"""ecan: an avatar library for people who build AI agents, local first, synced to their own
cloud."""

__version__ = "0.1.0"
