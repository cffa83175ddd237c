"""The access gate: the app shows nothing until the token is given, when one is needed."""

from __future__ import annotations

from ui.auth import is_loopback, token_matches
from ui.config import UiSettings

AUTH_KEY = "authenticated"


def gate(ui_settings: UiSettings, host: str | None) -> bool:
    """True when this session may see the app; otherwise draws the token form (or the refusal)."""
    import streamlit as st

    if not is_loopback(host) and not ui_settings.token:
        st.error(
            f"This app is served on {host or 'every network interface'} without an access token, so it shows nothing. "
            "Set FOLIO_UI_TOKEN and restart it, or start it with 'folio ui' (which binds to 127.0.0.1)."
        )
        return False
    if not ui_settings.token or st.session_state.get(AUTH_KEY):
        return True
    st.title("Folio")
    with st.form("login"):
        given = st.text_input("Access token", type="password", help="The value of FOLIO_UI_TOKEN on the machine serving Folio")
        submitted = st.form_submit_button("Open", type="primary")
    if submitted:
        if token_matches(given, ui_settings.token):
            st.session_state[AUTH_KEY] = True
            st.rerun()
        st.error("That is not the access token.")
    return False
