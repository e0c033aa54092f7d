"""Security of the control room: loopback by default, a bearer token, closed CORS, strict headers.

- ``check_bind(host, token)``: a non-loopback address needs a token (the CLI exits 2 otherwise).
- ``token_ok(header, token)``: ``Authorization: Bearer TOKEN``, compared in constant time
  (``hmac.compare_digest``) so the answer time says nothing about how much of a guess was right.
- ``HEADERS``: sent on every response. The Content-Security-Policy allows the page's own origin
  only, plus what the CesiumJS combined build (``Build/Cesium/Cesium.js``, 1.140) needs, each
  checked in Chromium by leaving it out (tests/web/test_api_csp.py): its Knockout widgets evaluate
  binding strings (``new Function``: without ``'unsafe-eval'`` ``Cesium`` is undefined); its workers
  start from ``blob:`` URLs (``worker-src blob:``) and load their code with ``importScripts`` of a
  ``blob:`` URL (``script-src blob:``); its widgets set inline styles and insert ``<style>``
  elements (``style-src 'unsafe-inline'``); it loads small images from ``data:`` URLs. WebAssembly
  needs nothing more (``'unsafe-eval'`` covers it); fetches, fonts and imagery come from ``'self'``.
- No CORS middleware: a page from another origin gets no ``Access-Control-Allow-Origin`` header, so
  the browser does not let it read any answer (and a token is still needed for every API call).
"""

from __future__ import annotations

import hmac
import ipaddress

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-eval' blob:",
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
"""The Content-Security-Policy of every response (module docstring: why each source is there)."""

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
"""Security headers added to every response, errors and static files included."""


def is_loopback(host: str) -> bool:
    """True for a loopback address (127.0.0.0/8, ::1) or the name ``localhost``."""
    h = host.strip().strip("[]")
    if h.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> str | None:
    """The one-line refusal for serving ``host`` without a token (None: allowed)."""
    if is_loopback(host) or token:
        return None
    return (f"--host {host} is not a loopback address: anyone who can reach it could use the server; "
            f"give --token TOKEN (every API call then needs 'Authorization: Bearer TOKEN'), or serve on 127.0.0.1")


def token_ok(authorization: str | None, token: str | None) -> bool:
    """True when no token is set, or ``authorization`` is ``Bearer <token>`` (constant-time compare)."""
    if not token:
        return True
    if not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8"))
