"""A project whose dependency has only a source distribution (pure Python)."""

from docopt import docopt

from chalicelike import Chalice

app = Chalice(app_name="sdist-only")


@app.route("/parse")
def parse():
    return docopt("Usage: tool <name>", argv=["world"])
