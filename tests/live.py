"""Helpers for tests that drive a real server over loopback, from several threads.

Concurrency and soak tests need real requests at the same moment, so they talk HTTP
to pytest-django's `live_server` (a threaded WSGI server, one database connection per
request) with the standard library's urllib, as a browser or a gateway would.
"""

from __future__ import annotations

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client


@dataclass
class Answer:
    """One HTTP response: status, final URL after redirects, body as text."""

    status: int
    url: str
    text: str


class Browser:
    """A signed-in browser: a session cookie, a CSRF cookie, and its own cookie jar.

    The session is made with Django's `force_login` (saved in the database, which the
    server reads); the CSRF cookie is a fresh secret sent back in each form, as the
    admin's pages do.
    """

    def __init__(self, base_url: str, user=None, timeout: float = 60):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar)
        )
        self.csrf = _get_new_csrf_string()
        host = urllib.parse.urlparse(self.base_url).hostname
        if "." not in host:
            host += ".local"  # how http.cookiejar names a dotless host ("localhost")
        self._cookie(host, "csrftoken", self.csrf)
        if user is not None:
            client = Client()
            client.force_login(user)
            self._cookie(host, "sessionid", client.cookies["sessionid"].value)

    def _cookie(self, host: str, name: str, value: str) -> None:
        self.jar.set_cookie(
            http.cookiejar.Cookie(
                0, name, value, None, False, host, False, False, "/", True, False,
                None, False, None, None, {},
            )
        )  # fmt: skip

    def get(self, path: str) -> Answer:
        """GET a page, following redirects."""
        url = self.base_url + path
        return self._open(urllib.request.Request(url))  # noqa: S310 (loopback)

    def post(self, path: str, data: dict | list, *, csrf: bool = True) -> Answer:
        """POST a form (with the CSRF token unless told not to), following redirects."""
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        if csrf:
            fields.append(("csrfmiddlewaretoken", self.csrf))
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        request = urllib.request.Request(self.base_url + path, data=body)  # noqa: S310
        return self._open(request)

    def post_json(self, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        """POST a JSON body with the given headers (no cookies needed)."""
        request = urllib.request.Request(  # noqa: S310 (loopback)
            self.base_url + path,
            data=body,
            headers={"Content-Type": "application/json", **headers},
        )
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> Answer:
        # Only ever http://127.0.0.1 or localhost: the live server's own URL.
        assert request.type == "http", request.full_url
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Answer(
                    response.status, response.url, response.read().decode("utf-8")
                )
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.url, exc.read().decode("utf-8", "replace"))


def race(jobs: list[Callable[[], object]], timeout: float = 120) -> list[object]:
    """Run each job in its own thread, released together by a barrier; return what
    each returned, or the exception it raised. Each thread closes its own database
    connection, as a request or a command process would."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[object] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            # Connected before the barrier, so the racers meet at their first query,
            # not at connection set-up.
            connection.ensure_connection()
            barrier.wait()
            outcomes[i] = jobs[i]()
        except Exception as exc:  # recorded and asserted on by the caller
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a racer never finished"
    return outcomes
