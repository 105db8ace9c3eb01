"""The floor of the bench: a package of the bench's terms written by a writer alone.

    python bench/floor.py TERMS.json OUT.apkg genanki|genanki-decks|notedeck-writer

TERMS.json holds [[deck, term, definition], ...]. `genanki` puts every note in one deck (the
least work genanki can do for 20,000 notes); `genanki-decks` and `notedeck-writer` use each
term's own deck, as notedeck's build does, with genanki and with notedeck's sqlite3 writer.
No Markdown is parsed or rendered: this is what writing alone costs.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    """Write the package with the named writer."""
    terms_path, out, writer = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    rows = json.loads(terms_path.read_text(encoding="utf-8"))
    if writer == "notedeck-writer":
        from notedeck.identity import Planned
        from notedeck.package import BASIC_NAME, write_package

        notes = [
            Planned(f"g{i}", 1, BASIC_NAME, deck, (term, definition, "", ""), (), "added", None)
            for i, (deck, term, definition) in enumerate(rows)
        ]
        write_package(notes, out, now=time.time())
        return
    import genanki

    model = genanki.Model(
        1_607_392_319_999,
        "bench Basic",
        fields=[{"name": "Front"}, {"name": "Back"}],
        templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr>{{Back}}"}],
    )
    decks: dict[str, genanki.Deck] = {}
    for index, (deck_name, term, definition) in enumerate(rows):
        name = "bench" if writer == "genanki" else deck_name
        deck = decks.get(name)
        if deck is None:
            deck = decks[name] = genanki.Deck(2_000_000_000 + len(decks), name)
        deck.add_note(genanki.Note(model=model, fields=[term, definition], guid=f"g{index}"))
    genanki.Package(list(decks.values())).write_to_file(str(out))


if __name__ == "__main__":
    main()
