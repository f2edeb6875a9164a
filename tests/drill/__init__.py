"""The fault drill's harness (issue #24): a private PostgreSQL cluster, moto's S3 server behind a gate that can be
closed, an SMTP sink, app instances and a worker as real processes, and the figures the drill reports."""
