//! The gateway's settings, as the server's configuration reads them (`ZEGEL_SMTP_*`).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// A network in CIDR notation (`10.0.0.0/8`, `::1/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The network address (host bits cleared).
    pub addr: IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `addr/prefix`, or a bare address (a single host).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (
                addr.parse::<IpAddr>().ok()?,
                Some(prefix.parse::<u8>().ok()?),
            ),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return None;
        }
        Some(Self {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// Whether `ip` lies in this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.prefix) == self.addr
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            IpAddr::V4((bits & mask).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            IpAddr::V6((bits & mask).into())
        }
    }
}

/// The SMTP gateway (`ZEGEL_SMTP_*`).
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Where it listens; the gateway is off when unset.
    pub listen: Option<SocketAddr>,
    /// Clients that may relay without authenticating.
    pub relay_networks: Vec<Cidr>,
    /// Shared networks (Exchange Online's outbound ranges) whose clients may relay only with a TLS
    /// client certificate named in [`Self::relay_cert_names`] (or after AUTH).
    pub relay_cert_networks: Vec<Cidr>,
    /// The DNS names (subject alternative names) a client certificate from those networks must carry.
    pub relay_cert_names: Vec<String>,
    /// PEM roots client certificates must chain to; unset: the public web PKI roots.
    pub client_ca: Option<PathBuf>,
    /// Where relayed mail goes (host, port); unset: the `ZEGEL_MAIL` transport.
    pub next_hop: Option<(String, u16)>,
    /// The STARTTLS certificate chain (PEM); STARTTLS is offered only with a key too.
    pub tls_cert: Option<PathBuf>,
    /// The STARTTLS private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// The largest message, in bytes (advertised as SIZE).
    pub max_size: u64,
    /// The most recipients of one message.
    pub max_recipients: usize,
    /// The most connections one client address holds at once (well below the global cap).
    pub max_connections_per_ip: usize,
}
