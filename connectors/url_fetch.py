"""Fetch a document by URL without letting the caller reach what it must not (SSRF rules).

Rules (seed 004 ``add_document``, ``add_multi_document``):
- ``http`` and ``https`` only (``file://``, ``ftp://``, ``gopher://`` … refused), a host required;
- the host is resolved here and *every* address it resolves to must be public (not private,
  loopback, link-local such as the 169.254.169.254 metadata service, multicast, reserved,
  unspecified, CGNAT …, IPv4-mapped IPv6 included) or inside ``INGESTFLOW_FETCH_ALLOW_NETWORKS``
  (a list of CIDRs, default empty); the connection then goes to the checked address (the Host header and
  TLS SNI keep the name), so a second DNS answer cannot swap in another address (DNS rebinding);
- redirects are followed by hand (at most ``MAX_REDIRECTS``), each hop checked like the first;
- the body is streamed to the caller's sink with a size cap (``fetch_max_mb``) and the whole fetch
  (all hops and the body) runs under one time limit (``fetch_timeout_s``).

Refusals and failures are ``ValidationFailed`` (400) naming the reason; an over-size body is
``PayloadTooLarge`` (413). Messages carry the URL without any user:password part.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from typing import BinaryIO
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import httpx

from ingestflow.errors import PayloadTooLarge, ValidationFailed

SCHEMES = ("http", "https")
MAX_REDIRECTS = 5
Resolver = Callable[[str, int], list[str]]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Fetched:
    """What a fetch wrote to its sink."""

    url: str  # the final URL (after redirects), without credentials
    size: int
    content_type: str
    file_name: str  # from Content-Disposition, else the last path segment ("" when neither)


def parse_networks(cidrs: Iterable[str]) -> list[IPNetwork]:
    """CIDRs as networks; ValidationFailed naming a bad one."""
    out = []
    for cidr in cidrs:
        try:
            out.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError:
            raise ValidationFailed(f"fetch_allow_networks: {cidr!r} is not a CIDR") from None
    return out


def shown(url: str) -> str:
    """The URL without user:password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    return urlunsplit((parts.scheme, netloc + (f":{parts.port}" if parts.port else ""), parts.path, parts.query, ""))


def _public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified)


def check_address(ip: IPAddress, allow: list[IPNetwork]) -> None:
    """ValidationFailed unless the address is public or inside an allowed network."""
    plain = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip
    if any(plain in net for net in allow):
        return
    if not _public(plain):
        kind = ("unspecified" if plain.is_unspecified else "loopback" if plain.is_loopback else "link-local/metadata" if plain.is_link_local
                else "private" if plain.is_private else "non-public")
        raise ValidationFailed(f"doc_url resolves to a {kind} address ({plain}): refused "
                               f"(an internal deployment may allow it with INGESTFLOW_FETCH_ALLOW_NETWORKS)")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationFailed(f"doc_url host {host!r} cannot be resolved: {exc}") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_url(url: str, allow: list[IPNetwork], resolve: Resolver = system_resolver) -> tuple[str, IPAddress]:
    """(url, the checked address to connect to); ValidationFailed for a refused scheme, host or address."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationFailed("doc_url: field required")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValidationFailed(f"doc_url is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in SCHEMES:
        raise ValidationFailed(f"doc_url scheme {parts.scheme or '(none)'!r} is refused: use http or https")
    host = parts.hostname
    if not host:
        raise ValidationFailed("doc_url has no host")
    port = port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve(host, port)]
    if not addresses:
        raise ValidationFailed(f"doc_url host {host!r} resolves to no address")
    for ip in addresses:  # every answer: a name that also points inside is refused
        check_address(ip, allow)
    return url.strip(), addresses[0]


def _file_name(response: httpx.Response, url: str) -> str:
    disposition = response.headers.get("content-disposition", "")
    if disposition:
        msg = Message()
        msg["content-disposition"] = disposition
        name = msg.get_filename()
        if name:
            return name.replace("\\", "/").rsplit("/", 1)[-1]
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def fetch(url: str, sink: BinaryIO, *, max_bytes: int, timeout_s: float, allow: list[IPNetwork],
          resolve: Resolver = system_resolver) -> Fetched:
    """Stream ``url`` into ``sink`` under the rules of the module docstring."""
    deadline = time.monotonic() + timeout_s
    current = url
    with httpx.Client(follow_redirects=False, trust_env=False, verify=True) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            current, ip = check_url(current, allow, resolve)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ValidationFailed(f"doc_url {shown(url)} did not answer within {timeout_s:g} s")
            parts = urlsplit(current)
            pinned = f"[{ip}]" if ip.version == 6 else str(ip)
            target = urlunsplit((parts.scheme, pinned + (f":{parts.port}" if parts.port else ""),
                                 parts.path or "/", parts.query, ""))
            host_header = parts.hostname + (f":{parts.port}" if parts.port else "")
            request = client.build_request("GET", target, headers={"Host": host_header},
                                           extensions={"sni_hostname": parts.hostname,
                                                       "timeout": httpx.Timeout(remaining).as_dict()})
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                raise ValidationFailed(f"doc_url {shown(url)} did not answer within {timeout_s:g} s") from None
            except httpx.HTTPError as exc:
                raise ValidationFailed(f"doc_url {shown(current)} cannot be fetched: {type(exc).__name__}") from None
            try:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    if not location:
                        raise ValidationFailed(f"doc_url {shown(current)} redirects without a Location")
                    current = urljoin(current, location)
                    continue
                if response.status_code != 200:
                    raise ValidationFailed(f"doc_url {shown(current)} answered HTTP {response.status_code}")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise PayloadTooLarge(f"doc_url {shown(current)} is {int(declared)} bytes: over the "
                                          f"{max_bytes}-byte limit")
                size = _stream(response, sink, max_bytes, deadline, url, timeout_s)
                return Fetched(url=shown(current), size=size,
                               content_type=response.headers.get("content-type", "").split(";")[0].strip(),
                               file_name=_file_name(response, current))
            finally:
                response.close()
    raise ValidationFailed(f"doc_url {shown(url)} redirects more than {MAX_REDIRECTS} times")


def _stream(response: httpx.Response, sink: BinaryIO, max_bytes: int, deadline: float, url: str,
            timeout_s: float) -> int:
    size = 0
    try:
        for chunk in response.iter_bytes():  # each network read: the deadline is checked as bytes arrive
            size += len(chunk)
            if size > max_bytes:
                raise PayloadTooLarge(f"doc_url {shown(url)} is over the {max_bytes}-byte limit")
            if time.monotonic() > deadline:
                raise ValidationFailed(f"doc_url {shown(url)} did not finish within {timeout_s:g} s")
            sink.write(chunk)
    except httpx.TimeoutException:
        raise ValidationFailed(f"doc_url {shown(url)} did not finish within {timeout_s:g} s") from None
    except httpx.HTTPError as exc:
        raise ValidationFailed(f"doc_url {shown(url)} broke off: {type(exc).__name__}") from None
    return size


def fetch_with_settings(url: str, sink: BinaryIO) -> Fetched:
    """``fetch`` under the settings' limits and allowed networks."""
    from ingestflow.settings import get_settings

    settings = get_settings()
    return fetch(url, sink, max_bytes=int(settings.fetch_max_mb * 1024 * 1024), timeout_s=settings.fetch_timeout_s,
                 allow=parse_networks(settings.fetch_allow_networks))
