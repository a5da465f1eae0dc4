"""An in-memory book store (a real app would use DynamoDB)."""

from __future__ import annotations

import threading


class BookStore:
    def __init__(self) -> None:
        self._books: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._books)

    def add(self, isbn: str, title: str, author: str) -> dict[str, str]:
        book = {"isbn": isbn, "title": title, "author": author}
        with self._lock:
            self._books[isbn] = book
        return book

    def get(self, isbn: str) -> dict[str, str] | None:
        return self._books.get(isbn)

    def remove(self, isbn: str) -> bool:
        with self._lock:
            return self._books.pop(isbn, None) is not None

    def list(self, author: str | None = None) -> list[dict[str, str]]:
        books = sorted(self._books.values(), key=lambda b: b["isbn"])
        return [b for b in books if author is None or b["author"] == author]
