"""The core's models: the audit log, which the audited write writes and the history reads
(the users app has its own models)."""

from console.audit_log import AuditLog  # noqa: F401 - registers the model with the console app
