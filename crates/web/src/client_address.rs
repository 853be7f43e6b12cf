//! Who the client is, by address: the socket's peer, or, when the peer is one of the configured
//! `trusted_proxies`, the address those proxies recorded in the one header they are configured
//! to write (`X-Forwarded-For` by default, or `Forwarded: for=…`), read from the right and
//! skipping the trusted hops. The other header is never read: proxies pass a client's own copy
//! of the header they do not write straight through. Nobody else's headers are believed, so a
//! client cannot choose its own address. The login throttle, the failed-login
//! back-off and the audit log all use this one address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// Which header the trusted proxies write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded`.
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            other => Err(format!("forwarded_header: '{other}' is neither x-forwarded-for nor forwarded")),
        }
    }
}

/// The trusted proxies and the header they write.
#[derive(Debug, Clone, Default)]
pub struct Proxies {
    pub trusted: Vec<IpNet>,
    pub header: ForwardedHeader,
}

/// The client's address, set on every request by `resolve`; absent only for requests that came
/// through no socket (in-process tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// Parses the `trusted_proxies` setting: addresses (`10.0.0.5`) and networks (`10.0.0.0/24`).
pub fn parse_trusted(entries: &[String]) -> Result<Vec<IpNet>, String> {
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let entry = entry.trim();
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("trusted_proxies[{index}]: '{entry}' is neither an address nor a network such as 10.0.0.0/24"))
        })
        .collect()
}

fn trusted(address: IpAddr, proxies: &[IpNet]) -> bool {
    let address = canonical(address);
    proxies.iter().any(|net| net.contains(&address))
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
        v4 => v4,
    }
}

/// One node of a forwarding header: `203.0.113.7`, `203.0.113.7:4711`, `[2001:db8::1]:4711`,
/// or, in `Forwarded`, a quoted form of those. Unknown and obfuscated nodes are `None`.
fn node_address(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(address);
    }
    if let Ok(socket) = node.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    node.strip_prefix('[').and_then(|rest| rest.split(']').next()).and_then(|inner| inner.parse().ok())
}

/// The hops the proxies recorded in `header`, oldest first; `None` for a hop that is not an
/// address.
fn recorded_hops(headers: &HeaderMap, header: ForwardedHeader) -> Vec<Option<IpAddr>> {
    if header == ForwardedHeader::Forwarded {
        return headers
            .get_all("forwarded")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    name.trim().eq_ignore_ascii_case("for").then(|| node_address(value))
                })
            })
            .collect();
    }
    headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|value| value.split(',')).map(node_address).collect()
}

/// The client's address for a request from `peer`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, proxies: &Proxies) -> IpAddr {
    if !trusted(peer, &proxies.trusted) {
        return canonical(peer);
    }
    let mut client = canonical(peer);
    for hop in recorded_hops(headers, proxies.header).into_iter().rev() {
        match hop {
            // The first hop from the right that is not one of our proxies is the client.
            Some(address) if !trusted(address, &proxies.trusted) => return canonical(address),
            Some(address) => client = canonical(address),
            // An unreadable hop: trust stops here, at the last proxy we know.
            None => return client,
        }
    }
    client
}

/// Middleware: records the client's address on the request for everything after it.
pub async fn resolve(State(proxies): State<std::sync::Arc<Proxies>>, mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let address = client_ip(peer.ip(), request.headers(), &proxies);
        request.extensions_mut().insert(ClientAddress(address));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        map
    }

    fn check_with(header: ForwardedHeader, peer: &str, pairs: &[(&str, &str)], expected: &str) {
        let trusted = parse_trusted(&["10.0.0.5".into(), "10.1.0.0/16".into(), "2001:db8:ff::/48".into()]).unwrap();
        let got = client_ip(peer.parse().unwrap(), &headers(pairs), &Proxies { trusted, header });
        assert_eq!(got, expected.parse::<IpAddr>().unwrap(), "{peer} {pairs:?}");
    }

    fn check(peer: &str, pairs: &[(&str, &str)], expected: &str) {
        check_with(ForwardedHeader::XForwardedFor, peer, pairs, expected);
    }

    #[test]
    fn forwarding_headers_are_believed_only_from_trusted_proxies() {
        // A client that sends the header itself is not believed.
        check("198.51.100.9", &[("x-forwarded-for", "1.2.3.4")], "198.51.100.9");
        // Through our proxy: the address it recorded.
        check("10.0.0.5", &[("x-forwarded-for", "203.0.113.7")], "203.0.113.7");
        // A client that prepended a forged hop: the rightmost untrusted one counts.
        check("10.0.0.5", &[("x-forwarded-for", "1.2.3.4, 203.0.113.7")], "203.0.113.7");
        // Two proxies of ours in a row.
        check("10.0.0.5", &[("x-forwarded-for", "203.0.113.7, 10.1.2.3")], "203.0.113.7");
        check("10.0.0.5", &[("x-forwarded-for", "203.0.113.7"), ("x-forwarded-for", "10.1.2.3")], "203.0.113.7");
        // A client's own Forwarded header, passed through by a proxy that writes X-Forwarded-For,
        // is never read.
        check("10.0.0.5", &[("forwarded", "for=1.2.3.4"), ("x-forwarded-for", "203.0.113.7")], "203.0.113.7");
        // RFC 7239 where the proxies write it, with ports, quotes and IPv6; then X-Forwarded-For
        // is the one never read.
        let forwarded = ForwardedHeader::Forwarded;
        check_with(forwarded, "10.0.0.5", &[("forwarded", "for=\"[2001:db8:1::7]:4711\";proto=https"), ("x-forwarded-for", "1.2.3.4")], "2001:db8:1::7");
        check_with(forwarded, "10.0.0.5", &[("forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43, for=10.1.0.1")], "192.0.2.60");
        check_with(forwarded, "10.0.0.5", &[("x-forwarded-for", "1.2.3.4")], "10.0.0.5");
        // Garbage stops trust at the last proxy.
        check("10.0.0.5", &[("x-forwarded-for", "203.0.113.7, not-an-address")], "10.0.0.5");
        check_with(forwarded, "10.0.0.5", &[("forwarded", "for=unknown")], "10.0.0.5");
        // No header from a proxy: the proxy itself.
        check("10.0.0.5", &[], "10.0.0.5");
        // IPv4-mapped IPv6 peers are IPv4.
        check("::ffff:10.0.0.5", &[("x-forwarded-for", "203.0.113.7")], "203.0.113.7");
        check("2001:db8:ff::1", &[("x-forwarded-for", "2001:db8:2::9")], "2001:db8:2::9");
    }

    #[test]
    fn bad_settings_are_named() {
        assert!(parse_trusted(&["10.0.0.0/33".into()]).unwrap_err().contains("trusted_proxies[0]"));
        assert!(parse_trusted(&["proxy.example".into()]).is_err());
        assert_eq!(parse_trusted(&[" ::1 ".into()]).unwrap().len(), 1);
        assert_eq!(ForwardedHeader::parse("Forwarded"), Ok(ForwardedHeader::Forwarded));
        assert!(ForwardedHeader::parse("x-real-ip").unwrap_err().contains("forwarded_header"));
    }
}
