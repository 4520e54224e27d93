//! A cap on the connections one client address holds at once, shared by the HTTP listener and the SMTP
//! gateway: one address that opens connections and sends nothing must not use up the slots everyone
//! else needs.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Open connections per client address, at most `max` each.
#[derive(Debug, Clone)]
pub struct PerIpLimit {
    max: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One counted connection; dropping it gives the slot back.
#[derive(Debug)]
pub struct PerIpSlot {
    ip: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerIpLimit {
    /// A limit of `max` connections per address.
    pub fn new(max: usize) -> Self {
        Self {
            max,
            open: Arc::default(),
        }
    }

    /// A slot for a new connection from `ip`, or `None` when that address already holds `max`.
    /// IPv4-mapped IPv6 addresses count as their IPv4 address.
    pub fn try_acquire(&self, ip: IpAddr) -> Option<PerIpSlot> {
        let ip = ip.to_canonical();
        let mut open = self.open.lock().expect("per-IP counts poisoned");
        let count = open.entry(ip).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(PerIpSlot {
            ip,
            open: self.open.clone(),
        })
    }

    /// Connections `ip` holds now.
    pub fn open(&self, ip: IpAddr) -> usize {
        let open = self.open.lock().expect("per-IP counts poisoned");
        open.get(&ip.to_canonical()).copied().unwrap_or(0)
    }
}

impl Drop for PerIpSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().expect("per-IP counts poisoned");
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_slots_and_they_come_back() {
        let limit = PerIpLimit::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = limit.try_acquire(a).unwrap();
        let _second = limit.try_acquire(mapped).unwrap();
        assert!(
            limit.try_acquire(a).is_none(),
            "the mapped address counts as a"
        );
        let _other = limit
            .try_acquire(b)
            .expect("another address is not affected");
        drop(first);
        assert_eq!(limit.open(a), 1);
        assert!(limit.try_acquire(a).is_some());
    }
}
