"""Storage's own metric, defined down here so the layers above can count without storage importing them."""

from prometheus_client import Counter

UPLOAD_BYTES = Counter("portfolio_upload_bytes", "Bytes of uploaded evidence files stored")
