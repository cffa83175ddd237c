"""Folio's HTTP API (``folio serve``): OCR, documents, ingest jobs and cited answers over REST."""
