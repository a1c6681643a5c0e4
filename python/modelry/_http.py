"""The HTTP layer: one keep-alive connection pool per server, JSON calls,
streamed blob bodies, and the translation of error answers into exceptions.

It speaks only the REST API of ``api/openapi.yaml`` and knows nothing of
models or flavors.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import ssl
import urllib.parse
from typing import Any, BinaryIO, Dict, Iterable, Mapping, Optional

import urllib3

from . import __version__
from .errors import IntegrityError, ServerError, from_response

#: Size of the blocks in which request bodies are sent and responses read:
#: large enough that per-call overhead vanishes next to hashing and copying.
BLOCK_SIZE = 1 << 20

DEFAULT_URL = "http://127.0.0.1:8080"


class HTTPClient:
    """Calls one Modelry server. Safe to share between threads.

    Args:
        url: the server, e.g. ``"http://127.0.0.1:8080"``; when ``None``,
            ``MODELRY_URL``, else the server of the last ``modelry login``,
            else ``http://127.0.0.1:8080`` (as the CLI).
        token: the API token sent as ``Authorization: Bearer``; when
            ``None``, ``MODELRY_TOKEN``, else the token ``modelry login``
            saved for that server.
        timeout: seconds to wait for a connection and for each read.
        pool_size: keep-alive connections kept open (parallel transfers use
            one each).
    """

    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        *,
        timeout: float = 300.0,
        pool_size: int = 16,
    ) -> None:
        login = _login_config()
        url = (url or os.environ.get("MODELRY_URL") or login.get("url") or DEFAULT_URL).rstrip("/")
        if token is None:
            token = os.environ.get("MODELRY_TOKEN") or ((login.get("servers") or {}).get(url) or {}).get("token")
        parts = urllib.parse.urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"server URL {url!r} is not an http:// or https:// address")
        self.url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        self._prefix = parts.path
        self._headers = {"User-Agent": f"modelry-python/{__version__}"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._https = parts.scheme == "https"
        self._timeout = timeout
        self._raw: "queue.LifoQueue[http.client.HTTPConnection]" = queue.LifoQueue()
        self._pool = urllib3.PoolManager(
            num_pools=2,
            maxsize=pool_size,
            block=False,
            timeout=urllib3.Timeout(connect=min(timeout, 10.0), read=timeout),
            retries=urllib3.Retry(total=2, connect=2, read=0, redirect=0, status=0, other=0, raise_on_status=False),
            blocksize=BLOCK_SIZE,
        )

    def close(self) -> None:
        """Closes the idle connections."""
        self._pool.clear()
        while True:
            try:
                self._raw.get_nowait().close()
            except queue.Empty:
                return

    def _url(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        u = self.url + path
        if query:
            q = {k: _query_value(v) for k, v in query.items() if v is not None and v != ""}
            if q:
                u += "?" + urllib.parse.urlencode(q)
        return u

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Any]] = None,
        json_body: Any = None,
        body: Optional[BinaryIO] = None,
        headers: Optional[Mapping[str, str]] = None,
        stream: bool = False,
    ) -> urllib3.BaseHTTPResponse:
        """Performs one call and returns the response for statuses below 400.

        Error answers raise the matching :class:`~modelry.errors.ModelryError`;
        failures to reach the server raise :class:`~modelry.errors.ServerError`
        with code ``CONNECTION_FAILED``. With ``stream=True`` the body is left
        unread: read it, then call ``release_conn()``.
        """
        h = dict(self._headers)
        data: Any = body
        if json_body is not None:
            data = json.dumps(json_body).encode()
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        try:
            resp = self._pool.request(
                method,
                self._url(path, query),
                body=data,
                headers=h,
                preload_content=not stream,
                decode_content=False,
                redirect=False,
                chunked=False,
            )
        except urllib3.exceptions.HTTPError as e:
            raise ServerError(f"cannot reach the server at {self.url}: {_reason(e)}", code="CONNECTION_FAILED") from e
        if resp.status >= 400:
            raise self._error(resp, stream)
        return resp

    def call(self, method: str, path: str, **kw: Any) -> Any:
        """Performs one call and returns the decoded JSON answer (None for 204)."""
        resp = self.request(method, path, **kw)
        if resp.status == 204 or not resp.data:
            return None
        try:
            return json.loads(resp.data)
        except ValueError as e:
            raise ServerError(f"{method} {path}: the server sent invalid JSON: {e}", code="BAD_RESPONSE", status=resp.status) from e

    def paginate(self, path: str, key: str, query: Optional[Dict[str, Any]] = None, page_size: int = 100) -> Iterable[Dict[str, Any]]:
        """Yields the items of a paginated listing, fetching pages as needed."""
        q = dict(query or {})
        q["page_size"] = page_size
        while True:
            page = self.call("GET", path, query=q)
            yield from page.get(key) or []
            token = page.get("next_page_token")
            if not token:
                return
            q["page_token"] = token

    def send_file(self, method: str, path: str, fh: BinaryIO, size: int, progress: Any = None) -> Any:
        """Sends ``size`` bytes of an open file, from its current position,
        as a request body with ``socket.sendfile`` (zero-copy on Linux over
        plain HTTP) and returns the decoded JSON answer. Errors as
        :meth:`request`.

        urllib3 would read the file into Python and copy it into the socket
        block by block; for blob uploads that copy is the largest cost on
        the client, so this one call uses http.client directly, over
        keep-alive connections of its own. A kept-alive connection that the
        server has closed meanwhile is replaced once, transparently.
        """
        offset = fh.tell()
        conn, reused = self._raw_conn()
        try:
            resp, data = self._send_file_once(conn, method, path, fh, offset, size, progress)
        except _Stale:
            if not reused:
                raise ServerError(f"cannot reach the server at {self.url}: the connection closed", code="CONNECTION_FAILED")
            conn, _ = self._raw_conn(fresh=True)
            try:
                resp, data = self._send_file_once(conn, method, path, fh, offset, size, progress)
            except _Stale as e:
                raise ServerError(f"cannot reach the server at {self.url}: {e.__cause__ or e}", code="CONNECTION_FAILED") from e
        if resp.will_close:
            conn.close()
        else:
            self._raw.put(conn)
        if resp.status >= 400:
            code, message = "", ""
            try:
                detail = json.loads(data)["error"]
                code, message = str(detail.get("code", "")), str(detail.get("message", ""))
            except (ValueError, KeyError, TypeError):
                message = data[:500].decode("utf-8", "replace").strip() or resp.reason
            raise from_response(resp.status, code, message or f"HTTP {resp.status}")
        return json.loads(data) if data else None

    def _send_file_once(self, conn: http.client.HTTPConnection, method: str, path: str, fh: BinaryIO,
                        offset: int, size: int, progress: Any) -> "tuple[http.client.HTTPResponse, bytes]":
        """One attempt of :meth:`send_file`. A server that answers before
        reading the whole body (a refused token, a full disk) and hangs up
        is still heard: its answer is read after the failed send. Raises
        _Stale when there is no answer at all."""
        sent = 0
        try:
            conn.putrequest(method, self._prefix + path, skip_accept_encoding=True)
            for k, v in self._headers.items():
                conn.putheader(k, v)
            conn.putheader("Content-Type", "application/octet-stream")
            conn.putheader("Content-Length", str(size))
            conn.endheaders()
            while sent < size:
                n = conn.sock.sendfile(fh, offset + sent, min(8 << 20, size - sent))
                if n == 0:
                    conn.close()
                    raise IntegrityError(f"{getattr(fh, 'name', 'the file')} ended after {sent} of {size} bytes: it changed while it was sent", code="DIGEST_MISMATCH")
                sent += n
                if progress is not None:
                    progress(n)
        except (OSError, http.client.HTTPException) as send_error:
            if progress is not None and sent:
                progress(-sent)
            try:  # an early answer, sent before the server stopped reading
                resp = conn.getresponse()
                return resp, resp.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                raise _Stale() from send_error
        try:
            resp = conn.getresponse()
            return resp, resp.read()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise _Stale() from e

    def _raw_conn(self, fresh: bool = False) -> "tuple[http.client.HTTPConnection, bool]":
        """A kept-alive connection of send_file's own (reused=True), or a new one."""
        if not fresh:
            try:
                return self._raw.get_nowait(), True
            except queue.Empty:
                pass
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout, context=ssl.create_default_context()), False
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout), False

    def _error(self, resp: urllib3.BaseHTTPResponse, stream: bool) -> Exception:
        raw = resp.read() if stream else resp.data
        if stream:
            resp.release_conn()
        code, message = "", ""
        try:
            detail = json.loads(raw)["error"]
            code, message = str(detail.get("code", "")), str(detail.get("message", ""))
        except (ValueError, KeyError, TypeError):
            message = raw[:500].decode("utf-8", "replace").strip() or resp.reason or ""
        return from_response(resp.status, code, message or f"HTTP {resp.status}")


class _Stale(Exception):
    """A send_file attempt got no answer (connection refused, reset or closed)."""


def _login_config() -> Dict[str, Any]:
    """What ``modelry login`` saved ($XDG_CONFIG_HOME/modelry/config.json,
    else ~/.config/modelry/config.json): {"url": ..., "servers": {url: {"token": ...}}}."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    try:
        with open(os.path.join(base, "modelry", "config.json")) as f:
            cfg = json.load(f)
    except (OSError, ValueError):
        return {}
    return cfg if isinstance(cfg, dict) else {}


def _query_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _reason(e: Exception) -> str:
    r = getattr(e, "reason", None)
    return str(r) if r is not None else str(e)


def quote_segment(segment: str) -> str:
    """Escapes one URL path segment (names are plain, but a typo must not change the route)."""
    return urllib.parse.quote(segment, safe="")
