//! Throttling the public tip form and receipt look-ups without keeping addresses: each client's
//! address is reduced to a keyed hash under a secret that lives only in this process's memory and
//! is replaced every hour, together with the counts. Nothing of it is written anywhere, and after
//! the hour even this process cannot tell whose counts they were. Each process keeps its own (the
//! limits are per process; a cluster of N processes allows at most N times as much).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// How long a secret and its counts live.
const WINDOW_MS: i64 = 3_600_000;
/// Tips one client may submit in a window, wrong receipt codes it may try, and file uploads
/// and messages it may send (a client is an IPv4 address or an IPv6 /64, as one host holds a
/// whole /64).
pub const SUBMISSIONS_PER_WINDOW: u32 = 10;
pub const WRONG_CODES_PER_WINDOW: u32 = 20;
pub const ADDITIONS_PER_WINDOW: u32 = 60;
/// Tips the whole process takes in a window, whoever sends them (a flood from many addresses).
pub const SUBMISSIONS_PER_WINDOW_IN_ALL: u32 = 2_000;
/// Clients counted at once; beyond it every unknown client is treated as over its limit.
const CLIENTS_MAX: usize = 100_000;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    /// A tip kept.
    Submission,
    WrongCode,
    /// A message or a file upload added to a tip by its code.
    Addition,
}

struct Window {
    started_ms: i64,
    secret: [u8; 32],
    counts: HashMap<([u8; 16], Counter), u32>,
    submissions_in_all: u32,
}

impl Window {
    fn fresh(now_ms: i64) -> Self {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        Self { started_ms: now_ms, secret, counts: HashMap::new(), submissions_in_all: 0 }
    }

    fn key(&self, address: IpAddr) -> [u8; 16] {
        let client = match address {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        mac.update(client.to_string().as_bytes());
        let mut key = [0u8; 16];
        key.copy_from_slice(&mac.finalize().into_bytes()[..16]);
        key
    }
}

pub struct TipThrottle {
    window: Mutex<Window>,
}

impl Default for TipThrottle {
    fn default() -> Self {
        Self { window: Mutex::new(Window::fresh(domain::time::now_ms())) }
    }
}

impl TipThrottle {
    fn with_window<T>(&self, now_ms: i64, f: impl FnOnce(&mut Window) -> T) -> T {
        let mut window = self.window.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if now_ms - window.started_ms >= WINDOW_MS || now_ms < window.started_ms {
            *window = Window::fresh(now_ms);
        }
        f(&mut window)
    }

    /// Whether the client is still under its limit for `counter` (without counting).
    pub fn allows(&self, address: IpAddr, counter: Counter) -> bool {
        self.allows_at(address, counter, domain::time::now_ms())
    }

    fn allows_at(&self, address: IpAddr, counter: Counter, now_ms: i64) -> bool {
        self.with_window(now_ms, |window| {
            if counter == Counter::Submission && window.submissions_in_all >= SUBMISSIONS_PER_WINDOW_IN_ALL {
                return false;
            }
            let key = (window.key(address), counter);
            let limit = match counter {
                Counter::Submission => SUBMISSIONS_PER_WINDOW,
                Counter::WrongCode => WRONG_CODES_PER_WINDOW,
                Counter::Addition => ADDITIONS_PER_WINDOW,
            };
            window.counts.get(&key).is_none_or(|count| *count < limit)
        })
    }

    /// Counts one more for the client.
    pub fn count(&self, address: IpAddr, counter: Counter) {
        self.count_at(address, counter, domain::time::now_ms());
    }

    fn count_at(&self, address: IpAddr, counter: Counter, now_ms: i64) {
        self.with_window(now_ms, |window| {
            if counter == Counter::Submission {
                window.submissions_in_all = window.submissions_in_all.saturating_add(1);
            }
            if window.counts.len() >= CLIENTS_MAX {
                // A flood of distinct clients: forget them all rather than refuse everyone new.
                window.counts.clear();
            }
            let key = (window.key(address), counter);
            let count = window.counts.entry(key).or_insert(0);
            *count = count.saturating_add(1);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_client_and_forgets_each_hour() {
        let throttle = TipThrottle::default();
        let start = throttle.window.lock().unwrap().started_ms;
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..WRONG_CODES_PER_WINDOW {
            assert!(throttle.allows_at(a, Counter::WrongCode, start + 1));
            throttle.count_at(a, Counter::WrongCode, start + 1);
        }
        assert!(!throttle.allows_at(a, Counter::WrongCode, start + 2), "over the limit");
        assert!(throttle.allows_at(b, Counter::WrongCode, start + 2), "another client is not");
        assert!(throttle.allows_at(a, Counter::Submission, start + 2), "another counter is not");
        assert!(throttle.allows_at(a, Counter::WrongCode, start + WINDOW_MS), "a new window forgets");
        let (host, same_host): (IpAddr, IpAddr) = ("2001:db8:1:2::1".parse().unwrap(), "2001:db8:1:2:ffff::9".parse().unwrap());
        let later = start + WINDOW_MS + 1;
        for _ in 0..SUBMISSIONS_PER_WINDOW {
            throttle.count_at(host, Counter::Submission, later);
        }
        assert!(!throttle.allows_at(same_host, Counter::Submission, later), "one IPv6 /64 is one client");
        let secret = throttle.window.lock().unwrap().secret;
        assert_ne!(secret, [0u8; 32]);
    }
}
