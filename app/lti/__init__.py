"""LTI 1.3: the portfolio as a tool inside Brightspace, Canvas and Moodle (docs/lti.md)."""
