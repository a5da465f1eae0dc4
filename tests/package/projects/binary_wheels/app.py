"""A project whose dependency ships compiled code: MarkupSafe's C speedups."""

from markupsafe import escape

from chalicelike import Chalice

app = Chalice(app_name="binary-wheels")


@app.route("/escape")
def escape_html():
    from markupsafe import _speedups  # ImportError unless the wheel matches the platform

    return {"escaped": str(escape("<b>&</b>")), "native": _speedups.__file__.endswith(".so")}
