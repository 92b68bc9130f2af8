"""Applying a plan: the only code that writes to a ProxySQL node."""
