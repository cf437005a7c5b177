//! Where application webhooks may go: public internet addresses only, unless the operator
//! allows private networks (sandbox and tests).
//!
//! A tenant chooses its webhook URL, so without this guard it could make the hub call its own
//! admin port, a database on the private network, or the cloud metadata address. As in
//! vaultwarden's `http_client.rs`, the check happens after DNS resolution, inside the HTTP
//! client's resolver: the client connects only to the addresses that passed, so a name that
//! resolves differently a second time (DNS rebinding) gains nothing. IP-literal hosts never
//! reach a resolver, so they are checked before sending. Redirects are never followed and no
//! proxy is used, so no hop escapes the check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// The error type reqwest's resolvers return.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A webhook destination the guard will not connect to.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The URL names a non-public IP address.
    #[error("destination refused: {0} is not a public address")]
    NotPublic(IpAddr),
    /// Every address the host name resolves to is non-public.
    #[error("destination refused: {host} resolves only to non-public addresses ({addresses})")]
    ResolvesPrivate {
        /// The host name as it appears in the URL.
        host: String,
        /// What it resolved to.
        addresses: String,
    },
}

/// Refuses URLs whose host is a non-public IP literal (host names are checked by [`resolver`]).
pub fn check_literal(url: &Url) -> Result<(), Refused> {
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(Host::Domain(_)) | None => return Ok(()),
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err(Refused::NotPublic(ip))
    }
}

/// A DNS resolver for the webhook client that drops every non-public address.
pub fn resolver() -> Arc<PublicOnly> {
    Arc::new(PublicOnly)
}

/// Resolves with the system resolver, then keeps public addresses only.
#[derive(Debug)]
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|address| is_public(address.ip()))
                .collect();
            if public.is_empty() {
                let addresses = resolved
                    .iter()
                    .map(|address| address.ip().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Refused::ResolvesPrivate { host, addresses }.into());
            }
            Ok::<Addrs, BoxError>(Box::new(public.into_iter()))
        })
    }
}

/// Whether `ip` is an ordinary internet address: not loopback, private, link-local (the cloud
/// metadata address 169.254.169.254 among them), shared (CGNAT), unspecified, multicast,
/// broadcast, documentation, benchmarking or otherwise reserved. IPv6 addresses that embed an
/// IPv4 address (mapped, NAT64, 6to4) are judged by the embedded address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let reserved = a == 0 // "this network", 0.0.0.0 included
        || a == 10 // private
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation (TEST-NET-1)
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168) // private
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation (TEST-NET-2)
        || (a == 203 && b == 0 && c == 113) // documentation (TEST-NET-3)
        || a >= 224; // multicast, reserved, broadcast
    !reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 well-known prefix 64:ff9b::/96 carries the IPv4 destination in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(segments[6], segments[7]));
    }
    // 6to4 (2002::/16) carries an IPv4 address in bits 16..48.
    if segments[0] == 0x2002 {
        return is_public_v4(embedded_v4(segments[1], segments[2]));
    }
    let reserved = segments[..6] == [0; 6] // unspecified, loopback, IPv4-compatible (deprecated)
        || segments[..3] == [0x64, 0xff9b, 1] // local-use NAT64
        || segments[..4] == [0x100, 0, 0, 0] // discard-only
        || (segments[0] == 0x2001 && segments[1] < 0x200) // IETF protocol assignments (Teredo, …)
        || (segments[0] == 0x2001 && segments[1] == 0xdb8) // documentation
        || (segments[0] & 0xfff0) == 0x3ff0 // documentation (3fff::/20)
        || (segments[0] & 0xfe00) == 0xfc00 // unique local
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (segments[0] & 0xff00) == 0xff00; // multicast
    !reserved
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(address: &str) -> bool {
        is_public(address.parse().unwrap())
    }

    #[test]
    fn internal_and_reserved_addresses_are_not_public() {
        for address in [
            "0.0.0.0",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.1.2.3",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001:db8::1",
            "2001::1",
            "2002:a00:1::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(!public(address), "{address} counted as public");
        }
    }

    #[test]
    fn internet_addresses_are_public() {
        for address in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.169.0.1",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
        ] {
            assert!(public(address), "{address} counted as non-public");
        }
    }

    #[test]
    fn ip_literals_are_checked_before_sending() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.1/hook",
            "http://0x7f.1/hook",
            "http://[::ffff:7f00:1]/hook",
        ] {
            let url = Url::parse(url).unwrap();
            let refused = check_literal(&url).unwrap_err();
            assert!(
                refused.to_string().contains("not a public address"),
                "{url}: {refused}"
            );
        }
        for url in ["https://8.8.8.8/hook", "https://app.example.com/hook"] {
            assert!(check_literal(&Url::parse(url).unwrap()).is_ok(), "{url}");
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_private_addresses() {
        let error = PublicOnly
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .unwrap();
        let refused = error.downcast_ref::<Refused>().unwrap();
        assert!(
            refused
                .to_string()
                .contains("localhost resolves only to non-public addresses"),
            "{refused}"
        );
    }
}
