"""Admins' takedown decisions in the portal."""
