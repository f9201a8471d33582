"""Security: users and roles, case access, the audit log, pseudonymisation, hostile files."""
