"""A small bookshop API: the sample app the README serves and its tests exercise."""

import os

from chalicelib.reviews import reviews
from chalicelib.store import BookStore

from chalicelike import (
    AuthResponse,
    BadRequestError,
    Chalice,
    CORSConfig,
    NotFoundError,
    Rate,
    Response,
)

app = Chalice(app_name="bookshop")
app.api.cors = CORSConfig(allow_origin="*", max_age=600)
store = BookStore()
app.register_blueprint(reviews, url_prefix="/books/{isbn}/reviews", name_prefix="reviews_")


@app.route("/")
def index():
    return {"service": "bookshop", "books": len(store)}


@app.route("/books", methods=["GET"])
def list_books():
    params = app.current_request.query_params or {}
    author = params.get("author")
    return {"books": store.list(author=author)}


@app.route("/books", methods=["POST"])
def add_book():
    body = app.current_request.json_body
    if not isinstance(body, dict):
        raise BadRequestError("Send a JSON object with isbn, title and author")
    missing = [field for field in ("isbn", "title", "author") if not body.get(field)]
    if missing:
        raise BadRequestError(f"Missing fields: {', '.join(missing)}")
    book = store.add(body["isbn"], body["title"], body["author"])
    return Response(body=book, status_code=201, headers={"Location": f"/books/{book['isbn']}"})


@app.route("/books/{isbn}", methods=["GET"])
def get_book(isbn):
    book = store.get(isbn)
    if book is None:
        raise NotFoundError(f"No book with ISBN {isbn}")
    return book


@app.authorizer()
def staff_only(auth_request):
    """Staff tokens may delete books; anyone else may only read (a real app checks a JWT)."""
    if auth_request.token != os.environ.get("SHOP_STAFF_TOKEN", "staff-secret"):
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(routes=["/books/*"], principal_id="staff", context={"role": "staff"})


@app.route("/books/{isbn}", methods=["DELETE"], authorizer=staff_only)
def delete_book(isbn):
    if not store.remove(isbn):
        raise NotFoundError(f"No book with ISBN {isbn}")
    return Response(body="", status_code=204)


@app.route("/health")
async def health():
    return {"ok": True}


# -- events: the same project handles more than HTTP -------------------------------------


@app.on_s3_event(bucket="bookshop-imports", suffix=".csv")
def import_catalogue(event):
    """Each uploaded CSV names books to add; the file itself is fetched with boto3 in a real app."""
    imported = []
    for record in event:
        isbn = record.key.rsplit("/", 1)[-1].removesuffix(".csv")
        store.add(isbn, f"Imported from {record.bucket}", "unknown")
        print(f"imported {isbn} from s3://{record.bucket}/{record.key}")  # to the log
        imported.append(isbn)
    return imported


@app.on_sqs_message(queue="bookshop-orders", batch_size=10, per_record=True)
def take_order(record):
    """One order per message; a bad one is retried alone, the others are not lost."""
    order = record.json_body
    if not isinstance(order, dict) or not order.get("isbn"):
        raise BadRequestError(f"Order {record.message_id} names no book: {record.body!r}")
    print(f"order {record.message_id} for {order['isbn']}")


@app.schedule(Rate(1, unit=Rate.HOURS))
def hourly_report(event):
    print(f"hourly report at {event.time}: {len(store)} books")
    return {"books": len(store), "at": event.time}
