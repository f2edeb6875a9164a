"""AVG/GDPR: the register of personal data, the access log (inzagerecht), per-person exports, the statement."""
