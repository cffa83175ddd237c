"""The Streamlit app: upload pages, watch them being read, ask, see the cited boxes on the page."""
