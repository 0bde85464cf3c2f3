"""The demo help centre of Acme Pay, a fictional pay-later app: paying invoices, due dates
and extensions, instalments, refunds, returns, disputes, the card and the account.

Kept as data (data/demo_help_centre.json) in the same format `import_knowledge` reads, so
the demo is loaded the way a company loads its own help centre.
"""

import json
from pathlib import Path

DEMO_HELP_CENTRE_PATH = Path(__file__).parent / "data" / "demo_help_centre.json"

DEMO_ARTICLES: list[dict] = json.loads(DEMO_HELP_CENTRE_PATH.read_text(encoding="utf-8"))
