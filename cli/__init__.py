"""The ``folio`` command: one module per verb, each handler short (parse, settings, one call, print)."""
