"""The ASGI entry point for uvicorn: `app.asgi:app`."""

import gc

from app.main import create_app

app = create_app()
# Everything loaded so far (modules, the framework, templates, SQLAlchemy's mappers) lives as long as the process:
# keep it out of the garbage collector's full passes, which otherwise walk it all and stall a request now and then.
gc.collect()
gc.freeze()
