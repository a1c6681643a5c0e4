"""The alias, audit-log and token calls of :class:`~modelry.Registry` (a
mixin: they need only the registry's HTTP client and version lookup)."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Dict, Iterator, List, Optional

from . import refs as _refs
from ._http import HTTPClient
from ._http import quote_segment as _q
from .types import Alias, AliasMove, Event


class AliasAuditMethods:
    """Aliases, the audit log and tokens; :class:`~modelry.Registry` has these methods."""

    client: HTTPClient

    def _number(self, name: str, version: _refs.VersionSpec) -> int:
        raise NotImplementedError  # the Registry's

    def set_alias(self, name: str, alias: str, version: _refs.VersionSpec, *, reason: str = "", expected_version: Optional[int] = None) -> AliasMove:
        """Points ``alias`` at a version. With ``expected_version`` (0 for
        unset) the move happens only if the alias points there now
        (:class:`InvalidArgument` with code FAILED_PRECONDITION otherwise)."""
        body: Dict[str, Any] = {"version": self._number(name, version), "reason": reason}
        if expected_version is not None:
            body["expected_version"] = expected_version
        return AliasMove.from_json(self.client.call("PUT", f"/api/v1/models/{_q(name)}/aliases/{_q(alias)}", json_body=body))

    def remove_alias(self, name: str, alias: str, *, reason: str = "", expected_version: Optional[int] = None) -> AliasMove:
        """Removes an alias (the move is recorded in its history)."""
        headers = {"If-Match": f'"{expected_version}"'} if expected_version is not None else None
        return AliasMove.from_json(self.client.call("DELETE", f"/api/v1/models/{_q(name)}/aliases/{_q(alias)}", query={"reason": reason}, headers=headers))

    def get_alias(self, name: str, alias: str) -> Alias:
        """Where an alias points now."""
        return Alias.from_json(self.client.call("GET", f"/api/v1/models/{_q(name)}/aliases/{_q(alias)}"))

    def aliases(self, name: str) -> List[Alias]:
        """A model's aliases."""
        return [Alias.from_json(a) for a in self.client.call("GET", f"/api/v1/models/{_q(name)}/aliases").get("aliases") or []]

    def alias_history(self, name: str, alias: str, *, at: Optional[_dt.datetime] = None, page_size: int = 100) -> Iterator[AliasMove]:
        """Iterates over the moves of an alias, newest first. With ``at``,
        only moves at or before that time (the first one's ``to_version``
        is where the alias pointed then)."""
        q = {"at": _rfc3339(at) if at else None}
        for d in self.client.paginate(f"/api/v1/models/{_q(name)}/aliases/{_q(alias)}/history", "moves", q, page_size):
            yield AliasMove.from_json(d)

    def rollback(self, name: str, alias: str, *, reason: str = "") -> AliasMove:
        """Moves an alias back to where it pointed before its last move."""
        return AliasMove.from_json(self.client.call("POST", f"/api/v1/models/{_q(name)}/aliases/{_q(alias)}/rollback", json_body={"reason": reason}))

    # --- audit -----------------------------------------------------------

    def events(self, *, model: Optional[str] = None, type: Optional[str] = None, after: int = 0, page_size: int = 500) -> Iterator[Event]:
        """Iterates over the audit log, oldest first, from after ``after``."""
        while True:
            page = self.client.call("GET", "/api/v1/events", query={"model": model, "type": type, "after": after, "limit": page_size})
            events = page.get("events") or []
            for d in events:
                yield Event.from_json(d)
            if not events:
                return
            after = int(page.get("next_after") or events[-1]["seq"])

    def whoami(self) -> Dict[str, str]:
        """The token's name and role."""
        return dict(self.client.call("GET", "/api/v1/whoami"))

    # --- tokens (admin) ---------------------------------------------------

    def create_token(self, name: str, role: str) -> Dict[str, Any]:
        """Creates a token with role ``reader``, ``writer`` or ``admin`` and
        returns it; its ``token`` field is the secret, shown only this once."""
        return dict(self.client.call("POST", "/api/v1/tokens", json_body={"name": name, "role": role}))

    def tokens(self) -> List[Dict[str, Any]]:
        """Lists tokens (never their secrets)."""
        return list(self.client.call("GET", "/api/v1/tokens").get("tokens") or [])

    def revoke_token(self, token_id: str) -> None:
        """Revokes a token by its id."""
        self.client.call("DELETE", f"/api/v1/tokens/{_q(token_id)}")


def _rfc3339(t: _dt.datetime) -> str:
    """Formats t with nanoseconds, rounding up within its microsecond: the
    server keeps nanoseconds, and a time taken from a move (truncated to
    microseconds by Python) must still include that move."""
    if t.tzinfo is None:
        t = t.astimezone()
    t = t.astimezone(_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}999Z"
