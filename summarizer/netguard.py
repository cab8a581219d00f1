"""Keep user-pasted links away from private networks (SSRF guard).

Two layers:

- `check_url` resolves the pasted link once, up front, for a clear early refusal.
- `guarded_ydl` builds a YoutubeDL whose *every* TCP connection (first request, each redirect hop,
  pages the generic extractor follows, media and fragment downloads) is checked against the address
  it is about to connect to, from the same getaddrinfo answer it connects with: no second lookup,
  so DNS rebinding cannot slip a private address in between check and connect.

How (checked against yt-dlp 2026.10.26): yt-dlp sends all HTTP through `YoutubeDL.urlopen` ->
a RequestDirector built by the overridable `YoutubeDL.build_request_director(handlers)`. Our
subclass builds it with exactly one handler, a subclass of yt-dlp's urllib handler whose opener
creates `http.client` connections with a checked `_create_connection` (the seam yt-dlp itself uses).
urllib opens a fresh connection per request and per redirect, so every hop passes the check. The
other handlers (requests, curl_cffi, websockets) are never instantiated: a request only they could
serve (ws://, impersonation) fails instead of going out unchecked. The policy lives on the
handler instance, so concurrent YoutubeDLs with different policies do not interfere.

Behind a proxy (RECAP_PROXY) we connect only to the proxy, so the host of every request, each
redirect hop included, is resolved here and refused before the proxy is asked for it; what the
proxy then connects to (its own DNS answer) cannot be verified.

Refusals name the host, never the private address it resolved to: the message reaches chat
threads, and an intranet's address plan is not for them.
"""

from __future__ import annotations

import dataclasses
import functools
import http.client
import ipaddress
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import yt_dlp
from yt_dlp.downloader import get_suitable_downloader
from yt_dlp.downloader.dash import DashSegmentsFD
from yt_dlp.downloader.hls import HlsFD
from yt_dlp.downloader.http import HttpFD
from yt_dlp.networking import _urllib  # private module; also used by inflate, see _GuardedUrllibRH

from summarizer import inflate
from summarizer.errors import BlockedAddress, NotAVideoLink, NotConfigured, VideoUnavailable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_HINT = "Set RECAP_ALLOW_PRIVATE_NETWORKS=true to allow intranet addresses."
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Finds our refusal inside yt-dlp's error text, for the paths that keep the message but drop the
# exception (HttpFD's retry reporting raises a fresh DownloadError from the formatted message).
_REFUSAL = re.compile(r"\b(?:Link|Request|Download) refused: [^\n]*?(?:intranet addresses|the private-address check)\.")
# Downloaders that fetch through YoutubeDL.urlopen (hence through the guard); the others run
# ffmpeg/rtmpdump/aria2c or open websockets themselves.
_IN_PROCESS_DOWNLOADERS = (HttpFD, HlsFD, DashSegmentsFD)


@dataclasses.dataclass(frozen=True)
class AddressPolicy:
    """Which addresses recap may connect to. `allowed_networks` are exceptions to the refusal."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def permits(self, ip: IPAddress | str) -> bool:
        ip = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        if self.allow_private or any(ip in net for net in self.allowed_networks):
            return True
        return _is_public(ip)


def _is_public(ip: IPAddress) -> bool:
    # An IPv6 address that merely carries an IPv4 one (mapped, NAT64, 6to4) is judged by that one.
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour:
            ip = ip.sixtofour
    # is_global already excludes RFC1918, fc00::/7, loopback, link-local (169.254.169.254 too),
    # unspecified, 100.64/10, Teredo and documentation ranges; multicast and reserved are not.
    site_local = isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or site_local)


class RefusedAddress(BlockedAddress, OSError):
    """Raised from inside yt-dlp's socket layer. An OSError so urllib and yt-dlp treat it as a
    network failure (and try no other way), a BlockedAddress so `blocked_reason` can find it."""


def _refusal(what: str, host: str, ip: str) -> str:
    # A literal address is the link's own text; a resolved one stays out of the message.
    where = f"{host} is" if host.strip("[]") == ip else f"{host} resolves to"
    return f"{what} refused: {where} a private address. {_HINT}"


def _first_refused(infos: list[tuple[Any, ...]], policy: AddressPolicy) -> str | None:
    for *_, sockaddr in infos:
        if not policy.permits(sockaddr[0]):
            return str(sockaddr[0])
    return None


def check_url(url: str, policy: AddressPolicy) -> None:
    """Refuse a pasted link early: not http(s), or its host has any address the policy refuses."""
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        got = f", not {scheme}: links" if scheme else ""
        raise BlockedAddress(f"Link refused: only http and https links can be fetched{got}.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise NotAVideoLink(f"{url} has an invalid port.") from None
    host = parts.hostname
    if not host:
        raise NotAVideoLink(f"{url} has no host name.")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise VideoUnavailable(f"Cannot fetch {host}: the host name does not resolve.") from None
    if ip := _first_refused(infos, policy):
        raise BlockedAddress(_refusal("Link", host, ip))


def _guarded_create_connection(
    policy: AddressPolicy, address: tuple[str, int], timeout: Any = None, source_address: Any = None
) -> socket.socket:
    """socket.create_connection, but refusing (before any packet is sent) a host with any
    address the policy refuses, and connecting only to the very addresses it checked."""
    host, port = address
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    if ip := _first_refused(infos, policy):
        raise RefusedAddress(_refusal("Request", host, ip))
    if source_address:  # as yt-dlp does: keep the address family that can use the source address
        family = socket.AF_INET6 if ":" in source_address[0] else socket.AF_INET
        infos = [info for info in infos if info[0] == family]
    error: OSError = OSError(f"{host} has no usable address")
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is None or isinstance(timeout, (int, float)):  # else the stdlib's "default" sentinel
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as e:
            sock.close()
            error = e
    raise error


class _GuardedHTTPHandler(inflate.HTTPHandler):
    """yt-dlp's urllib HTTP handler, inflating bodies as read, with checked connections."""

    def __init__(self, policy: AddressPolicy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._policy = policy

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(self._connection_class(http.client.HTTPConnection), req)

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(self._connection_class(http.client.HTTPSConnection), req, context=self._context)

    def _connection_class(self, base: type[http.client.HTTPConnection]) -> Any:
        def build(*args: Any, **kwargs: Any) -> http.client.HTTPConnection:
            conn = base(*args, **kwargs)
            # http.client connects through this attribute (Python 3.11; yt-dlp relies on it too).
            # Fail closed should a future Python drop it.
            if not hasattr(conn, "_create_connection"):
                raise RuntimeError("http.client no longer has _create_connection; cannot enforce the address policy")
            conn._create_connection = functools.partial(_guarded_create_connection, self._policy)
            if self._source_address is not None:
                # Set by HTTPConnection.__init__ but not declared in typeshed's stub.
                conn.source_address = (self._source_address, 0)  # type: ignore[attr-defined]
            return conn

        return build


class _CheckedHosts(urllib.request.BaseHandler):
    """Behind a proxy: refuse a request (first or a redirect hop) whose host resolves, here, to an
    address the policy refuses, before the proxy is asked to connect to it."""

    handler_order = 0  # before the other processors, so nothing is prepared for a refused host

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        parts = urllib.parse.urlsplit(req.full_url)
        host = parts.hostname or ""
        # A name that does not resolve here cannot be checked: the OSError fails the request.
        infos = socket.getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
        if ip := _first_refused(infos, self._policy):
            raise urllib.error.URLError(RefusedAddress(_refusal("Request", host, ip)))
        return req

    https_request = http_request


def _opener(*handlers: urllib.request.BaseHandler, cookiejar: Any) -> urllib.request.OpenerDirector:
    # UrllibRH._create_instance's chain minus FTPHandler and FileHandler; redirects re-enter
    # opener.open, hence the request processors and http(s)_open, for every hop.
    opener = urllib.request.OpenerDirector()
    for handler in (
        *handlers,
        urllib.request.HTTPCookieProcessor(cookiejar),
        urllib.request.DataHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        _urllib.RedirectHandler(),
    ):
        opener.add_handler(handler)
    opener.addheaders = []
    return opener


class _GuardedUrllibRH(_urllib.UrllibRH):
    RH_NAME = "urllib+netguard"
    _SUPPORTED_URL_SCHEMES = ("http", "https", "data")  # no ftp (ftplib connects by itself), no file
    _SUPPORTED_PROXY_SCHEMES = ()  # a proxy would connect on our behalf, out of reach of the check

    def __init__(self, *, policy: AddressPolicy, **kwargs: Any) -> None:
        super().__init__(**{**kwargs, "enable_file_urls": False})
        self.policy = policy

    def _prepare_headers(self, _: Any, headers: Any) -> None:
        if "Accept-Encoding" not in headers:
            headers["Accept-Encoding"] = ", ".join(inflate.ENCODINGS)

    def _http_options(self, legacy_ssl_support: Any) -> dict[str, Any]:
        return {
            "debuglevel": int(bool(self.verbose)),
            "source_address": self.source_address,
            "context": self._make_sslcontext(legacy_ssl_support=legacy_ssl_support),
        }

    def _create_instance(self, proxies: Any, cookiejar: Any, legacy_ssl_support: Any = None) -> Any:
        return _opener(_GuardedHTTPHandler(self.policy, **self._http_options(legacy_ssl_support)), cookiejar=cookiejar)


class _ProxiedUrllibRH(_GuardedUrllibRH):
    RH_NAME = "urllib+netguard+proxy"
    _SUPPORTED_PROXY_SCHEMES = _urllib.UrllibRH._SUPPORTED_PROXY_SCHEMES

    def _create_instance(self, proxies: Any, cookiejar: Any, legacy_ssl_support: Any = None) -> Any:
        return _opener(
            _CheckedHosts(self.policy),
            _urllib.ProxyHandler(proxies),
            inflate.HTTPHandler(**self._http_options(legacy_ssl_support)),
            cookiejar=cookiejar,
        )


class _GuardedYoutubeDL(yt_dlp.YoutubeDL):
    def __init__(self, params: dict[str, Any], policy: AddressPolicy, handler: type[_GuardedUrllibRH]) -> None:
        self._netguard_policy = policy
        self._netguard_handler = handler
        super().__init__(params)

    def build_request_director(self, handlers: Any, preferences: Any = None) -> Any:
        # Ignore yt-dlp's registry of handlers: only the guarded one may reach the network.
        return super().build_request_director([functools.partial(self._netguard_handler, policy=self._netguard_policy)])

    def dl(self, name: str, info: dict[str, Any], subtitle: bool = False, test: bool = False) -> Any:
        if info.get("url"):
            fd = get_suitable_downloader(info, self.params, to_stdout=(name == "-"))
            if fd not in _IN_PROCESS_DOWNLOADERS:
                raise RefusedAddress(
                    f"Download refused: this format needs {getattr(fd, 'FD_NAME', 'an external downloader')}, "
                    "which fetches outside the private-address check."
                )
        return super().dl(name, info, subtitle=subtitle, test=test)


def ytdlp_options(proxy: str | None = None) -> dict[str, Any]:
    """Options that keep every fetch inside the guarded Python networking. `guarded_ydl` applies them."""
    return {
        "proxy": proxy or "",  # and never *_proxy variables from the environment
        "enable_file_urls": False,
        "external_downloader": {"default": "native"},  # never hand URLs to ffmpeg/aria2c/curl/wget
        "hls_prefer_native": True,
        # HlsFD still delegates manifests with unsupported features to ffmpeg on its own; forbid
        # ffmpeg every network protocol so that path fails instead of fetching unchecked.
        "external_downloader_args": {"ffmpeg_i": ["-protocol_whitelist", "file,crypto,data"]},
    }


def guarded_ydl(params: dict[str, Any], policy: AddressPolicy, proxy: str | None = None) -> yt_dlp.YoutubeDL:
    """A YoutubeDL whose every connection obeys `policy` (with `proxy`: every request's host);
    `ytdlp_options()` override `params`."""
    handler = _ProxiedUrllibRH if proxy else _GuardedUrllibRH
    ydl = _GuardedYoutubeDL({**params, **ytdlp_options(proxy)}, policy, handler)
    # Fail closed if a yt-dlp upgrade stops building its director through build_request_director.
    if list(ydl._request_director.handlers) != [handler.RH_KEY]:
        ydl.close()
        raise NotConfigured("This yt-dlp version bypasses recap's private-address guard; pin yt-dlp 2026.10.26.")
    return ydl


def blocked_reason(exc: BaseException) -> str | None:
    """The refusal message inside an exception from a guarded YoutubeDL, or None if it was not a
    refusal. Extraction: DownloadError.exc_info -> ExtractorError -> TransportError -> RefusedAddress.
    Download: only DownloadError's message carries it."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, BlockedAddress):
            return str(e)
        exc_info = getattr(e, "exc_info", None)  # DownloadError keeps sys.exc_info() of the cause
        stack += [e.__cause__, e.__context__, getattr(e, "cause", None), getattr(e, "reason", None)]
        if isinstance(exc_info, tuple) and len(exc_info) == 3:
            stack.append(exc_info[1])
    match = _REFUSAL.search(str(exc))
    return match.group(0) if match else None
