"""Agents and the avatar each one wears."""
