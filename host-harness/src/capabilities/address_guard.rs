//! Where the host's own connections may land, checked on the address actually dialled.
//!
//! The egress list ([`super::egress`]) allows origins by name. A name is only as good as its DNS:
//! `graph.example.com` may resolve to `127.0.0.1` or `169.254.169.254` tomorrow. So a host
//! *name* must resolve to public addresses only; a loopback, private, link-local or otherwise
//! internal address is dialled only when the granted origin names it literally
//! (`http://127.0.0.1:8080`), which only the operator can grant (see `config`'s `[api] egress`).
//!
//! It also tells failures before a connection exists (no such host, refused, unreachable, a
//! failed TLS handshake) from failures after the request may have left: only the first are
//! safe to retry.

use std::net::{IpAddr, Ipv4Addr};

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport};

/// Whether `ip` is an address of the public Internet (not loopback, private, link-local,
/// shared, documentation, multicast, unspecified or reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            // An IPv4 address in IPv6 clothing is judged as IPv4.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated, still routed inside)
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || (first == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64: an IPv4 address inside
                || first == 0x0100) // discard-only 100::/64
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

/// Why a destination was not dialled: its name resolved to an internal address.
#[derive(Debug)]
pub struct InternalAddress {
    pub host: String,
    pub address: IpAddr,
}

impl std::fmt::Display for InternalAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} resolves to {}, an internal address: only an origin naming an address literally may reach one",
            self.host, self.address
        )
    }
}

impl std::error::Error for InternalAddress {}

/// A failure before any byte of the request was sent.
#[derive(Debug)]
pub struct NotConnected(pub String);

impl std::fmt::Display for NotConnected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotConnected {}

/// Resolves with the system resolver, then refuses a name that resolved to any internal
/// address (all of them: a client may try any). A lookup that fails is "host not found".
#[derive(Debug, Default)]
pub struct PublicNamesResolver {
    inner: DefaultResolver,
}

impl Resolver for PublicNamesResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addresses = match self.inner.resolve(uri, config, timeout) {
            Ok(addresses) => addresses,
            Err(ureq::Error::Io(_)) => return Err(ureq::Error::HostNotFound),
            Err(other) => return Err(other),
        };
        let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        if host.parse::<IpAddr>().is_ok() {
            // Named literally: the egress policy allowed exactly this address.
            return Ok(addresses);
        }
        if let Some(internal) = addresses.iter().find(|a| !is_public(a.ip())) {
            let refused = InternalAddress { host: host.to_owned(), address: internal.ip() };
            return Err(ureq::Error::Other(Box::new(refused)));
        }
        Ok(addresses)
    }
}

/// ureq's connector (TCP, then TLS), its failures marked as [`NotConnected`]: nothing of the
/// request has been written while a connection is being made.
#[derive(Debug, Default)]
pub struct MarkedConnector {
    inner: DefaultConnector,
}

impl Connector<()> for MarkedConnector {
    type Out = Box<dyn Transport>;

    fn connect(&self, details: &ConnectionDetails, chained: Option<()>) -> Result<Option<Self::Out>, ureq::Error> {
        self.inner.connect(details, chained).map_err(|error| match error {
            // Already says where it stopped.
            timeout @ ureq::Error::Timeout(_) => timeout,
            other => ureq::Error::Other(Box::new(NotConnected(other.to_string()))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for internal in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "198.18.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(internal)), "{internal}");
        }
    }

    #[test]
    fn internet_addresses_are_public() {
        for public in ["157.240.22.35", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2a03:2880:f10c::1", "::ffff:8.8.8.8"] {
            assert!(is_public(ip(public)), "{public}");
        }
    }

    fn resolve(url: &str) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let config = ureq::Agent::config_builder().build();
        let uri: http::Uri = url.parse().unwrap();
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::from_secs(5),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        PublicNamesResolver::default().resolve(&uri, &config, timeout)
    }

    #[test]
    fn a_literal_address_is_dialled_a_name_resolving_inside_is_refused() {
        assert_eq!(resolve("http://127.0.0.1:9/x").unwrap()[0], "127.0.0.1:9".parse().unwrap());
        assert_eq!(resolve("http://[::1]:9/x").unwrap()[0], "[::1]:9".parse().unwrap());
        let Err(ureq::Error::Other(refused)) = resolve("http://localhost:9/x") else {
            panic!("localhost is a name that resolves to loopback")
        };
        let refused = refused.downcast::<InternalAddress>().expect("an internal-address refusal");
        assert_eq!(refused.host, "localhost");
        assert!(!is_public(refused.address));
    }

    #[test]
    fn a_name_that_does_not_resolve_is_host_not_found() {
        // `.invalid` never resolves (RFC 6761).
        assert!(matches!(resolve("https://graph.example.invalid/x"), Err(ureq::Error::HostNotFound)));
    }
}
