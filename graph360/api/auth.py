"""API keys and roles: who may ask what.

A key is ``g360_<id>_<secret>``: the id finds the entry, the secret is checked against its
SHA-256 digest. Only the digest is stored. A slow password hash buys nothing here: the secret is
32 random bytes (256 bits), which no guessing can reach, and a per-request KDF would cost the
agent's card more than the whole query. Keys live in a JSON file (``GRAPH360_KEYS``, default
``./graph360-keys.json``) that the server re-reads when it changes, so a key created or revoked
with ``graph360 keys`` takes effect without a restart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from graph360.errors import Graph360Error

DEFAULT_KEYS_PATH = "graph360-keys.json"
PREFIX = "g360"

#: Every permission a request can need, and why it is separate.
PERMISSIONS = {
    "card:read": "read one customer's 360 card",
    "customers:search": "search and list customers",
    "pii:read": "see e-mail addresses and phone numbers, and look customers up by them",
    "touchpoints:write": "record touchpoints",
    "flags:write": "raise and resolve flags",
    "actions:write": "create and complete actions",
    "analytics:read": "run the analytics (overlap, audit, funnel, engagement, influence)",
    "views:read": "open the interactive graph views",
    "ownership:write": "assign and remove journey step owners",
    "identity:write": "merge and split customers by hand, and read the merge log",
}

ROLES: dict[str, frozenset[str]] = {
    # The call-centre agent: the card of the person on the line, and what the call produces.
    "agent": frozenset(
        {
            "card:read",
            "customers:search",
            "pii:read",
            "touchpoints:write",
            "flags:write",
            "actions:write",
        }
    ),
    # The analyst: every read, but contact details masked.
    "analyst": frozenset({"card:read", "customers:search", "analytics:read", "views:read"}),
    "admin": frozenset(PERMISSIONS),
}


class KeyFileError(Graph360Error):
    """A key file that cannot be read or a key command that cannot be done. An API caller is
    told only that the server cannot check keys (the operator's log has the detail)."""

    http_status = 503
    public = False


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    role: str
    digest: str
    created_at: str

    @property
    def permissions(self) -> frozenset[str]:
        return ROLES[self.role]


@dataclass(frozen=True)
class Principal:
    """Who is asking: the key's name and role."""

    name: str
    role: str

    @property
    def permissions(self) -> frozenset[str]:
        return ROLES[self.role]

    def can(self, permission: str) -> bool:
        return permission in ROLES[self.role]


def keys_path(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get("GRAPH360_KEYS") or DEFAULT_KEYS_PATH)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class KeyRing:
    """The keys in one file, re-read when the file changes."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = keys_path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._keys: dict[str, ApiKey] = {}

    def keys(self) -> dict[str, ApiKey]:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime, stat.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._keys = _read(self.path) if stamp else {}
                self._stamp = stamp
            return self._keys

    def authenticate(self, token: str | None) -> Principal | None:
        """The principal a presented key belongs to, or None for a missing or wrong key."""
        if not token:
            return None
        parts = token.strip().split("_")
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        key = self.keys().get(parts[1])
        if key is None or not hmac.compare_digest(key.digest, _digest(parts[2])):
            return None
        return Principal(key.name, key.role)

    def create(self, name: str, role: str) -> str:
        """Add a key and return its token: the only time the secret is shown."""
        if role not in ROLES:
            raise KeyFileError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
        keys = dict(self.keys())
        if any(k.name == name for k in keys.values()):
            raise KeyFileError(f"a key named {name!r} exists already: revoke it first")
        key_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32).replace("_", "-")
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        keys[key_id] = ApiKey(key_id, name, role, _digest(secret), now)
        self._write(keys)
        return f"{PREFIX}_{key_id}_{secret}"

    def revoke(self, name_or_id: str) -> ApiKey:
        keys = dict(self.keys())
        found = [k for k in keys.values() if name_or_id in (k.key_id, k.name)]
        if not found:
            raise KeyFileError(f"no key named {name_or_id!r} in {self.path}")
        del keys[found[0].key_id]
        self._write(keys)
        return found[0]

    def _write(self, keys: dict[str, ApiKey]) -> None:
        """Write atomically, readable by the owner only (the digests are not secrets, but the
        list of who has access is nobody else's business)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"keys": [asdict(k) for k in keys.values()]}, indent=2)
        # A new file of a random name (O_EXCL: never one planted there, never through a
        # symlink), made 0600 whatever the umask or a leftover, then renamed over the key file
        # (which replaces a symlink there rather than writing through it).
        fd, partial = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(body + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        with self._lock:
            self._stamp = None


def _read(path: Path) -> dict[str, ApiKey]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["keys"]
        keys = {e["key_id"]: ApiKey(**e) for e in entries}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise KeyFileError(f"{path}: not a graph360 key file ({error})") from error
    unknown = {k.role for k in keys.values()} - ROLES.keys()
    if unknown:
        raise KeyFileError(f"{path}: unknown roles {sorted(unknown)}")
    return keys
