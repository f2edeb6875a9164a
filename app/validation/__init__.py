"""Checking input: what FastAPI's request validation found (`request`), and one form field at a time (`fields`).

`from app import validation` keeps reading `validation.problems` and `validation.in_path` (app.main's handler).
"""

from app.validation.request import LABELS as LABELS
from app.validation.request import PROBLEMS as PROBLEMS
from app.validation.request import in_path as in_path
from app.validation.request import problems as problems
