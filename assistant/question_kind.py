"""What kind of answer a question asks for, read from its wording."""

from __future__ import annotations

import re

# "How do I ...", "what are the steps", "Wie kann ich ...": the answer is a procedure.
PROCEDURAL = re.compile(
    r"\b(how (do|can|should|would) (i|we|you)|how to|what are the steps|steps?\b|procedure|walk me through"
    r"|wie (kann|muss|soll|gehe|installiere|aktualisiere)|schritte|anleitung|vorgehen)",
    re.I,
)
