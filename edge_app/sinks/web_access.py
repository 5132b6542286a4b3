"""Who may use the web view: the Host names it answers to, and the token it asks for beyond loopback."""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from edge_app.errors import UserError

__all__ = [
    "TOKEN_COOKIE",
    "AccessPolicy",
    "default_token_file",
    "is_loopback",
    "load_or_create_token",
    "make_policy",
]

TOKEN_COOKIE = "mnist_edge_token"
TOKEN_BYTES = 24  # 192 random bits, 32 URL-safe characters
COOKIE_MAX_AGE_S = 365 * 24 * 3600  # a phone that opened the token link once stays signed in
TOKEN_FILE_MODE = 0o600  # the token is a password: only the service's user reads it
TOKEN_DIR_MODE = 0o700


def default_token_file() -> Path:
    """$XDG_CONFIG_HOME/mnist-edge/token, else ~/.config/mnist-edge/token."""
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "mnist-edge" / "token"


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """True for localhost and the loopback addresses (127.0.0.0/8, ::1): reachable from this machine only."""
    ip = _ip(host)
    return host.lower() == "localhost" if ip is None else ip.is_loopback


def _host_name(header: str) -> str:
    """The name or address in a Host header, without port, brackets or trailing dot, lowercase."""
    header = header.strip().lower()
    if header.startswith("["):  # [::1]:8080
        return header[1:].partition("]")[0]
    name, sep, port = header.rpartition(":")
    if sep and port.isdigit() and ":" not in name:
        header = name
    return header.rstrip(".")


@dataclass(frozen=True)
class AccessPolicy:
    """Which requests the web view answers."""

    names: frozenset[str] = frozenset({"localhost"})  # Host names served (lowercase)
    any_address: bool = False  # serve any IP literal in Host (bound to 0.0.0.0)
    addresses: frozenset[str] = frozenset()  # IP literals served besides loopback ones
    token: str | None = None  # asked of every client when set: the server listens beyond loopback

    def host_allowed(self, header: str | None) -> bool:
        """True when a request with this Host header is for us, not a DNS-rebinding page.

        A rebinding page always names its own domain in Host; an IP literal means the browser
        connected to that address itself. A request without Host comes from no browser.
        """
        if header is None:
            return True
        name = _host_name(header)
        ip = _ip(name)
        if ip is None:
            return name in self.names
        return ip.is_loopback or self.any_address or str(ip) in self.addresses

    def presented_token(
        self, path: str, authorization: str | None, cookie: str | None
    ) -> tuple[str | None, bool]:
        """(token the client sent, whether it came in ?token=) from the URL, header or cookie."""
        query = parse_qs(path.partition("?")[2]).get("token")
        if query:
            return query[-1], True
        if authorization and authorization.lower().startswith("bearer "):
            return authorization[7:].strip(), False
        for part in (cookie or "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == TOKEN_COOKIE:
                return value, False
        return None, False

    def token_ok(self, presented: str | None) -> bool:
        """True when no token is needed or `presented` is it (compared in constant time)."""
        if self.token is None:
            return True
        return presented is not None and hmac.compare_digest(
            presented.encode(), self.token.encode()
        )

    def cookie(self) -> str:
        """The Set-Cookie value that lets a browser's later requests (stream, API) carry the token."""
        return f"{TOKEN_COOKIE}={self.token}; Path=/; Max-Age={COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Strict"


def load_or_create_token(path: Path) -> tuple[str, bool]:
    """(token, made just now): read `path`, or write a new random token there with mode 0600."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        token = None
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else "not text"
        raise UserError(
            f"cannot read the web token file {path}: {reason}; fix it or pass another --token-file"
        ) from None
    if token is not None:
        if not token:
            raise UserError(f"the web token file {path} is empty; delete it to make a new token")
        return token, False
    token = secrets.token_urlsafe(TOKEN_BYTES)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=TOKEN_DIR_MODE, parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, TOKEN_FILE_MODE)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(token + "\n")
        os.replace(temporary, path)
    except OSError as e:
        temporary.unlink(missing_ok=True)
        raise UserError(
            f"cannot write the web token file {path}: {e.strerror or e}; pass a writable --token-file"
        ) from None
    return token, True


def make_policy(
    bind_host: str, allow_hosts: Iterable[str], token_file: Path | None
) -> tuple[AccessPolicy, bool]:
    """(policy, a new token was made) for a server bound to `bind_host`.

    Loopback-only servers answer localhost and loopback addresses with no token. Beyond loopback
    they also answer the bind address, this machine's name (NAME and NAME.local) and need the
    token from `token_file` (made on first use).
    """
    allowed = [_host_name(name) for name in allow_hosts]
    names = {"localhost", *(name for name in allowed if _ip(name) is None)}
    addresses = {str(_ip(name)) for name in allowed if _ip(name) is not None}
    ip = _ip(bind_host)
    if is_loopback(bind_host):
        return AccessPolicy(names=frozenset(names), addresses=frozenset(addresses)), False
    hostname = socket.gethostname().lower()
    names |= {hostname, f"{hostname}.local"}
    if ip is None:
        names.add(bind_host.lower())
    token, created = load_or_create_token(token_file or default_token_file())
    policy = AccessPolicy(
        names=frozenset(names),
        any_address=ip is not None and ip.is_unspecified,
        addresses=frozenset(addresses | ({str(ip)} if ip is not None else set())),
        token=token,
    )
    return policy, created
