"""The headers that tell a browser how to treat what this service sends, on every response.

The web app (web/dist), the API docs (/docs, Swagger UI from local files) and the API share one
origin and one policy. Nothing the service serves needs an inline script, an inline style
element or attribute, another origin, a plugin or a frame, so the Content-Security-Policy allows
exactly the service's own files:

- script-src 'self': the built index.html and the docs page load their scripts from files
  (backend/webapp/swagger-init.js for the docs); an injected <script> or on*= handler never runs.
- style-src 'self': Vue sets dynamic styles through the CSSOM (element.style), which a policy
  does not govern, and the app's own and Swagger UI's CSS are files; no inline <style> is needed.
- img-src 'self' data: blob:: Swagger UI's icons are data: URLs in its CSS; QR codes and charts
  may be drawn into blob: or data: images.
- connect-src 'self': fetch and EventSource only to this service.
- object-src 'none', base-uri 'none', frame-ancestors 'none' (no framing: clickjacking),
  form-action 'self'.

JSON and files are never to be sniffed into something else (nosniff), no page leaks its URL to
another site (no-referrer), and in production browsers are told to use HTTPS only (HSTS; TLS is
the proxy's, see docs/operations.md).
"""

from __future__ import annotations

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def headers_for(settings) -> tuple[tuple[str, str], ...]:
    """The (name, value) pairs every response of this deployment carries."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]
    if settings.app.is_prod:
        headers.append(("Strict-Transport-Security", HSTS))
    return tuple(headers)
