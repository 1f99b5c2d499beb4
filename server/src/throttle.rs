//! Failed enrollment attempts, rate-limited (a wrong code was answered 7,600 times a
//! second): per client address, and across all teams (a wrong code names no team, so every
//! team's codes share that budget). Token buckets in memory; the map of addresses is
//! bounded. [`AddressThrottle`] is the same per-address bucket for requests that cost a
//! token each, failed or not (the console's passkey ceremonies). Every limit here counts
//! a client by [`client_network`]: an IPv4 address, or an IPv6 /64.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;

/// The part of a client address that stands for one client, for limits per client: an
/// IPv4 address whole; an IPv6 address by its /64 prefix, since one host (one home, one
/// LAN) owns a whole /64 and picks addresses in it at will (SLAAC, RFC 8981's temporary
/// addresses), so counting each IPv6 address apart would give one host 2^64 budgets; and an
/// IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, how a dual-stack listener sees IPv4
/// clients) as its IPv4 address.
pub fn client_network(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

/// A bucket of `burst` tokens refilled at one per `per_ms` milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub burst: u32,
    pub per_ms: u64,
}

/// The enrollment limits. `Default`: 10 failed attempts per address, then one every 6 s;
/// 60 failed attempts server-wide, then one a second.
#[derive(Clone, Copy, Debug)]
pub struct EnrollLimits {
    pub per_address: Rate,
    pub failures: Rate,
}

impl Default for EnrollLimits {
    fn default() -> Self {
        EnrollLimits {
            per_address: Rate {
                burst: 10,
                per_ms: 6_000,
            },
            failures: Rate {
                burst: 60,
                per_ms: 1_000,
            },
        }
    }
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: u64,
}

impl Bucket {
    fn full(rate: Rate, now_ms: u64) -> Self {
        Bucket {
            tokens: f64::from(rate.burst),
            at_ms: now_ms,
        }
    }

    fn refill(&mut self, rate: Rate, now_ms: u64) {
        let elapsed = now_ms.saturating_sub(self.at_ms) as f64;
        self.tokens =
            (self.tokens + elapsed / rate.per_ms.max(1) as f64).min(f64::from(rate.burst));
        self.at_ms = now_ms;
    }

    /// Takes a token, or says in how many seconds one is there.
    fn take(&mut self, rate: Rate, now_ms: u64) -> Result<(), u64> {
        self.refill(rate, now_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait_ms = ((1.0 - self.tokens) * rate.per_ms as f64).ceil() as u64;
        Err(wait_ms.div_ceil(1000).max(1))
    }
}

/// Addresses remembered at most; beyond, the fullest buckets (idle addresses) are forgotten.
const MAX_ADDRESSES: usize = 10_000;

/// One bucket per client ([`client_network`]), at most [`MAX_ADDRESSES`] of them.
#[derive(Default)]
struct Addresses(HashMap<IpAddr, Bucket>);

impl Addresses {
    /// `addr`'s bucket, a full one for an address not seen lately (forgetting idle ones
    /// when the map is full).
    fn bucket(&mut self, addr: IpAddr, rate: Rate, now_ms: u64) -> &mut Bucket {
        let addr = client_network(addr);
        if self.0.len() >= MAX_ADDRESSES && !self.0.contains_key(&addr) {
            // Forget the addresses whose buckets have refilled (idle), else all.
            self.0.retain(|_, b| {
                b.refill(rate, now_ms);
                b.tokens < f64::from(rate.burst)
            });
            if self.0.len() >= MAX_ADDRESSES {
                self.0.clear();
            }
        }
        self.0
            .entry(addr)
            .or_insert_with(|| Bucket::full(rate, now_ms))
    }
}

pub struct EnrollThrottle {
    limits: EnrollLimits,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    addresses: Addresses,
    failures: Option<Bucket>,
}

/// `Err(seconds until a token)` when the bucket is empty; takes nothing.
fn check(bucket: &mut Bucket, rate: Rate, now_ms: u64) -> Result<(), u64> {
    bucket.refill(rate, now_ms);
    if bucket.tokens >= 1.0 {
        return Ok(());
    }
    let wait_ms = ((1.0 - bucket.tokens) * rate.per_ms as f64).ceil() as u64;
    Err(wait_ms.div_ceil(1000).max(1))
}

impl EnrollThrottle {
    pub fn new(limits: EnrollLimits) -> Self {
        EnrollThrottle {
            limits,
            state: Mutex::new(State::default()),
        }
    }

    /// Before an attempt: `Err(seconds)` when this address, or all addresses together,
    /// have failed too often lately. Successful enrollments cost nothing (a code works
    /// once), so a team enrolling many phones from one network is not held up.
    pub fn admit(&self, addr: IpAddr, now_ms: u64) -> Result<(), u64> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let limits = self.limits;
        let failures = state
            .failures
            .get_or_insert_with(|| Bucket::full(limits.failures, now_ms));
        check(failures, limits.failures, now_ms)?;
        match state.addresses.0.get_mut(&client_network(addr)) {
            Some(b) => check(b, limits.per_address, now_ms),
            None => Ok(()),
        }
    }

    /// After an attempt that failed (a wrong, used or expired code): one token from this
    /// address and one from the shared budget.
    pub fn failed(&self, addr: IpAddr, now_ms: u64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let limits = self.limits;
        let failures = state
            .failures
            .get_or_insert_with(|| Bucket::full(limits.failures, now_ms));
        let _ = failures.take(limits.failures, now_ms);
        let _ = state
            .addresses
            .bucket(addr, limits.per_address, now_ms)
            .take(limits.per_address, now_ms);
    }
}

/// Requests that each cost a token of their client address's bucket (no shared budget:
/// one address emptying its own bucket leaves every other address theirs).
pub struct AddressThrottle {
    rate: Rate,
    addresses: Mutex<Addresses>,
}

impl AddressThrottle {
    pub fn new(rate: Rate) -> Self {
        AddressThrottle {
            rate,
            addresses: Mutex::new(Addresses::default()),
        }
    }

    /// Takes a token from `addr`'s bucket, or `Err(seconds until there is one)`.
    pub fn take(&self, addr: IpAddr, now_ms: u64) -> Result<(), u64> {
        let mut addresses = self.addresses.lock().unwrap_or_else(|p| p.into_inner());
        addresses
            .bucket(addr, self.rate, now_ms)
            .take(self.rate, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_and_ipv4_ones_by_address() {
        // Two addresses of one /64 are one client; the next /64 is another.
        assert_eq!(client_network(ip("2001:db8:1:2::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            client_network(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(client_network(ip("2001:db8:1:3::1")), ip("2001:db8:1:3::"));
        // IPv4, plain or as a dual-stack listener sees it, is the address itself.
        assert_eq!(client_network(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(client_network(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_ne!(
            client_network(ip("::ffff:192.0.2.7")),
            client_network(ip("::ffff:192.0.2.8"))
        );
    }

    #[test]
    fn one_64_shares_one_bucket() {
        let t = AddressThrottle::new(Rate {
            burst: 2,
            per_ms: 60_000,
        });
        assert_eq!(t.take(ip("2001:db8::1"), 0), Ok(()));
        assert_eq!(t.take(ip("2001:db8::2"), 0), Ok(()));
        assert_eq!(t.take(ip("2001:db8::3"), 0), Err(60));
        // Another /64, and an IPv4 client, have their own.
        assert_eq!(t.take(ip("2001:db8:0:1::1"), 0), Ok(()));
        assert_eq!(t.take(ip("192.0.2.1"), 0), Ok(()));
    }
}
