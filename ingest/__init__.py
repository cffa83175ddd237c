"""Write path: files -> upright page images -> OCR lines -> layout blocks -> chunks -> store."""
