"""Reproducible pipeline for the LinkedIn invitations survey."""

__version__ = "0.1.0"
