"""A project whose dependency cannot run on Lambda: Windows wheels only, no sdist."""

from chalicelike import Chalice

app = Chalice(app_name="unsatisfiable")


@app.route("/")
def index():
    return {}
