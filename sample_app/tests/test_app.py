"""The sample bookshop, through the test client and over real HTTP."""

from __future__ import annotations

import json

import requests

from chalicelike.test import Client

BOOK = {"isbn": "978-0", "title": "Dune", "author": "Herbert"}
JSON = {"Content-Type": "application/json"}


def test_add_get_list_delete_book(sample_app):
    with Client(sample_app, project_dir="sample_app") as client:
        created = client.http.post("/books", headers=JSON, body=json.dumps(BOOK))
        assert created.status_code == 201
        assert created.headers["Location"] == "/books/978-0"
        assert client.http.get("/books/978-0").json_body == BOOK
        assert client.http.get("/books?author=Herbert").json_body == {"books": [BOOK]}
        assert client.http.get("/books?author=Nobody").json_body == {"books": []}
        staff = {"Authorization": "staff-secret"}
        assert client.http.delete("/books/978-0", headers=staff).status_code == 204
        missing = client.http.get("/books/978-0")
        assert missing.status_code == 404
        assert missing.json_body == {"Code": "NotFoundError", "Message": "No book with ISBN 978-0"}


def test_bad_bodies_get_named_errors(sample_app):
    with Client(sample_app) as client:
        broken = client.http.post("/books", headers=JSON, body="{not json")
        assert broken.status_code == 400
        assert broken.json_body["Message"] == "Error Parsing JSON"
        partial = client.http.post("/books", headers=JSON, body='{"isbn": "1"}')
        assert partial.json_body["Message"] == "Missing fields: title, author"
        text = client.http.post("/books", headers={"Content-Type": "text/plain"}, body="hi")
        assert text.status_code == 415


def test_reviews_blueprint_under_prefix(sample_app):
    with Client(sample_app) as client:
        review = {"stars": 5, "text": "Spice"}
        added = client.http.post("/books/978-0/reviews", headers=JSON, body=json.dumps(review))
        assert added.status_code == 201
        listed = client.http.get("/books/978-0/reviews").json_body
        assert listed == {"isbn": "978-0", "reviews": [review]}
        bad = client.http.post("/books/978-0/reviews", headers=JSON, body='{"stars": 9}')
        assert bad.status_code == 400
    assert "reviews_list_reviews" in {
        e.view_name for e in sample_app.routes["/books/{isbn}/reviews"].values()
    }


def test_cors_and_preflight(sample_app):
    with Client(sample_app) as client:
        assert client.http.get("/").headers["Access-Control-Allow-Origin"] == "*"
        preflight = client.http.options("/books", headers={"Origin": "https://shop.example"})
        assert preflight.status_code == 200
        assert preflight.headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"
        assert preflight.headers["Access-Control-Max-Age"] == "600"


def test_stage_environment_from_config(sample_app, monkeypatch):
    monkeypatch.delenv("SHOP_STAGE", raising=False)
    import os

    with Client(sample_app, project_dir="sample_app"):
        assert os.environ["SHOP_STAGE"] == "dev"
        assert os.environ["SHOP_CURRENCY"] == "EUR"
    assert "SHOP_STAGE" not in os.environ


def test_served_by_uvicorn(sample_app):
    from tests.servers import serve

    with serve(sample_app) as base_url:
        assert requests.get(base_url + "/health", timeout=5).json() == {"ok": True}
        created = requests.post(base_url + "/books", json=BOOK, timeout=5)
        assert created.status_code == 201
        assert requests.get(base_url + "/books/978-0", timeout=5).json() == BOOK
        assert requests.get(base_url + "/nope", timeout=5).status_code == 403


def test_only_staff_may_delete(sample_app):
    with Client(sample_app) as client:
        client.http.post("/books", headers=JSON, body=json.dumps(BOOK))
        assert client.http.delete("/books/978-0").status_code == 401  # no token
        denied = client.http.delete("/books/978-0", headers={"Authorization": "guess"})
        assert denied.status_code == 403
        assert client.http.get("/books/978-0").status_code == 200  # still there
