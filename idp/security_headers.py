"""Security headers on every response (RFC 9700 §4.16 clickjacking; OWASP defaults)."""

from flask import Flask, Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def security_headers(https: bool) -> list[tuple[str, str]]:
    """The headers every response carries, HSTS only when the issuer is served over https."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        # Our own pages' URLs to ourselves only: a form posted over https must carry its
        # Referer (Flask-WTF's WTF_CSRF_SSL_STRICT checks it is this origin), and nothing
        # leaks to a service or an identity provider the citizen is sent to.
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]
    if https:
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


def init_app(app: Flask) -> None:
    defaults = security_headers(app.config["SESSION_COOKIE_SECURE"])

    @app.after_request
    def add_headers(response: Response) -> Response:
        for name, value in defaults:
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            # Pages show a citizen's identity, consents and forms with CSRF tokens: no cache
            # keeps them (RFC 9111 §5.2.2.5), a shared computer's back button included.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
