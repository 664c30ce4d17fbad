"""Rebuild the routing catalogue's category routes from 附件4 (messages + official replies).

Each 附件4 message is classified (L1 by the model and lexicon, L2 by the lexicon); the reply names
the department that actually handled it. The most frequent department per L1 (and per L2 where it
differs) becomes the category route. Keyword rules and hand-made entries ("source": "hand") are
kept as they are: the hotline's edits win over derived data.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from assistant.classify import REPLIES_FILE, TicketClassifier
from assistant.routing import CATALOGUE_PATH, derive_category_routes


def rebuild_categories(clf: TicketClassifier, *, shared_data: Path, path: Path = CATALOGUE_PATH) -> int:
    """Rewrite the derived category routes in the catalogue file; returns how many were written."""
    with (shared_data / REPLIES_FILE).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    labelled = []
    for r in rows:
        c = clf.classify(f"{r['留言主题']}\n{r['留言详情']}")
        if c.category_l1:
            labelled.append((c.category_l1, c.category_l2, r["答复意见"]))
    derived = derive_category_routes(labelled)
    data = json.loads(path.read_text(encoding="utf-8"))
    hand = [e for e in data.get("categories", []) if e.get("source") == "hand"]
    covered = {(e["l1"], e.get("l2")) for e in hand}
    data["categories"] = hand + [
        {**e, "source": "附件4"} for e in derived if (e["l1"], e.get("l2")) not in covered
    ]
    data["version"] = int(data.get("version", 0)) + 1
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return len(data["categories"]) - len(hand)
