"""Reviews of a book: a blueprint mounted under /books/{isbn}/reviews."""

from __future__ import annotations

from chalicelike import BadRequestError, Blueprint, Response

reviews = Blueprint(__name__)
_reviews: dict[str, list[dict[str, object]]] = {}


@reviews.route("/", methods=["GET"])
def list_reviews(isbn):
    return {"isbn": isbn, "reviews": _reviews.get(isbn, [])}


@reviews.route("/", methods=["POST"])
def add_review(isbn):
    body = reviews.current_request.json_body or {}
    stars = body.get("stars")
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise BadRequestError("stars must be a whole number from 1 to 5")
    review = {"stars": stars, "text": str(body.get("text", ""))}
    _reviews.setdefault(isbn, []).append(review)
    return Response(body=review, status_code=201)
