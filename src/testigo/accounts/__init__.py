"""Staff accounts: login, roles, the permission matrix, per-case compartments."""
