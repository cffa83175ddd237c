"""Settings of the Streamlit app: ``settings.ui`` (``FOLIO_UI_TOKEN``, ``FOLIO_UI_PROBE_TIMEOUT``).

The section model lives in ``assistant.frontends`` so that the root settings compose it.
"""

from assistant.frontends import UiSettings

__all__ = ["UiSettings"]
