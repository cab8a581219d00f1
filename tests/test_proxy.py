"""RECAP_PROXY: the proxy makes the connections, so recap cannot check the address each one reaches;
it still checks, here, the host of every request it hands to the proxy, and says what it cannot check.
Real yt-dlp, the local media server, and a real forward proxy on loopback."""

from __future__ import annotations

import ipaddress
import logging
import socket

import pytest

from summarizer.errors import BlockedAddress
from summarizer.fetcher import FetchSettings, YtDlpFetcher
from summarizer.netguard import AddressPolicy
from tests.support.proxy import ForwardProxy

ONLY_127_0_0_1 = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))


@pytest.fixture
def intranet_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """intranet.test resolves to 127.0.0.2, as a corporate name resolves to 10.x."""
    real_getaddrinfo = socket.getaddrinfo

    def staged(host: str, *args: object, **kwargs: object) -> list:
        return real_getaddrinfo("127.0.0.2" if host == "intranet.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", staged)


@pytest.fixture
def proxy():
    with ForwardProxy() as running:
        yield running


def test_a_proxy_is_used_and_its_blind_spot_is_logged_once(media_server, proxy, caplog):
    with caplog.at_level(logging.WARNING, logger="summarizer.fetcher"):
        fetcher = YtDlpFetcher(FetchSettings(proxy=proxy.url, policy=ONLY_127_0_0_1))
        probe = fetcher.probe(media_server.url("site/bees.html"))
        assert fetcher.captions(probe).source == "captions"

    assert proxy.requests == [media_server.url("site/bees.html"), media_server.url("media/bees.en.vtt")]
    warnings = [r for r in caplog.records if "cannot verify the address each one reaches" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_behind_a_proxy_private_hosts_are_refused_before_the_proxy_is_asked(media_server, proxy, intranet_dns):
    port = media_server.port
    media_server.add_redirect("/to-literal", f"http://127.0.0.2:{port}/media/bees.opus")
    media_server.add_redirect("/to-name", f"http://intranet.test:{port}/media/bees.opus")
    fetcher = YtDlpFetcher(FetchSettings(proxy=proxy.url, policy=ONLY_127_0_0_1))

    with pytest.raises(BlockedAddress, match=r"Request refused: 127\.0\.0\.2 is a private address"):
        fetcher.probe(media_server.url("to-literal"))
    with pytest.raises(BlockedAddress, match=r"Request refused: intranet\.test resolves to a private address\."):
        fetcher.probe(media_server.url("to-name"))
    with pytest.raises(BlockedAddress, match=r"Link refused: intranet\.test resolves to a private address\."):
        fetcher.probe(f"http://intranet.test:{port}/media/bees.opus")

    # The redirecting pages went through the proxy; the private addresses they point at never did.
    assert proxy.requests == [media_server.url("to-literal"), media_server.url("to-name")]
