"""Talking to a ProxySQL admin interface: SQL rendering, the connection, reading a node."""
