//! Connections: a peer, a direction, an id and four channels.
//!
//! A connection carries the security context and the serial number space
//! shared by its calls. Client connections are made by the local endpoint
//! for a bundle; service connections are made by the first DATA of a call
//! from an unknown (epoch, cid).

use super::addr::TransportAddr;
use super::bundle::BundleKey;
use super::channel::Channel;
use super::event::CallHandle;
use super::time::Instant;

/// Identifies a connection within a local endpoint: its cid, epoch,
/// direction and peer. It also carries the slot of the connection in the
/// table once the table has handed it out, which finds the connection
/// without a search; the slot is no part of the identity (equality and
/// order ignore it). The order is the cid's first, which nearly always
/// tells two apart, so that a search among many connections to one peer
/// compares a word per step rather than the whole address.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnKey {
    /// cid with the channel bits clear.
    pub(crate) cid: u32,
    /// The client's epoch.
    pub(crate) epoch: u32,
    /// We are the client of this connection.
    pub(crate) client: bool,
    /// The peer's transport address.
    pub(crate) peer: TransportAddr,
    /// The connection's slot in the table, or [`NO_SLOT`].
    pub(crate) slot: u32,
}

/// The slot of a key not handed out by the connection table.
pub(crate) const NO_SLOT: u32 = u32::MAX;

impl ConnKey {
    /// The key of connection `cid` (channel bits clear) with `peer`.
    pub(crate) fn new(peer: TransportAddr, client: bool, epoch: u32, cid: u32) -> Self {
        ConnKey {
            cid,
            epoch,
            client,
            peer,
            slot: NO_SLOT,
        }
    }
}

impl PartialEq for ConnKey {
    fn eq(&self, other: &Self) -> bool {
        self.cid == other.cid
            && self.epoch == other.epoch
            && self.client == other.client
            && self.peer == other.peer
    }
}

impl Eq for ConnKey {}

impl PartialOrd for ConnKey {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ConnKey {
    #[inline]
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.cid
            .cmp(&other.cid)
            .then(self.epoch.cmp(&other.epoch))
            .then(self.client.cmp(&other.client))
            .then_with(|| self.peer.cmp(&other.peer))
    }
}

/// A connection.
pub(crate) struct Conn<S> {
    pub(crate) key: ConnKey,
    /// Current service id; changes once if the server upgrades it.
    pub(crate) service_id: u16,
    pub(crate) security_index: u8,
    /// The security class's state for this connection.
    pub(crate) sec: S,
    /// CHALLENGE/RESPONSE done (or not needed).
    pub(crate) secured: bool,
    serial: u32,
    pub(crate) channels: [Channel; 4],
    /// Client: the bundle this connection serves.
    pub(crate) bundle: Option<BundleKey>,
    /// Client: the call probing for a service upgrade; others wait for it.
    pub(crate) upgrade_probe: Option<CallHandle>,
    /// Discard the connection at this time if it is still idle (a client
    /// one only if `idle_client_conns` could not list it).
    pub(crate) expiry: Option<Instant>,
    /// Client: when its last call ended (`None` while it has one), under
    /// which `idle_client_conns` lists it; its expiry counts from then.
    pub(crate) idle_since: Option<Instant>,
    /// The deadline under which the endpoint's connection timer index
    /// holds it (no later than `expiry`; see `reap.rs`).
    pub(crate) armed: Option<Instant>,
}

impl<S> Conn<S> {
    /// A connection with no calls yet.
    pub(crate) fn new(key: ConnKey, service_id: u16, security_index: u8, sec: S) -> Self {
        Conn {
            key,
            service_id,
            security_index,
            sec,
            secured: security_index == 0,
            serial: 0,
            channels: [Channel::default(); 4],
            bundle: None,
            upgrade_probe: None,
            expiry: None,
            armed: None,
            idle_since: None,
        }
    }

    /// A client's RESPONSE said where its channels' call numbers are: an
    /// idle channel behind moves on (a busy one was refused before).
    pub(crate) fn adopt_call_numbers(&mut self, ids: [u32; 4]) {
        for (ch, id) in self.channels.iter_mut().zip(ids) {
            if ch.call.is_none() && super::channel::call_after(id, ch.call_number) {
                ch.call_number = id;
            }
        }
    }

    /// The serial number for the next packet sent on the connection.
    pub(crate) fn next_serial(&mut self) -> u32 {
        self.serial = self.serial.wrapping_add(1);
        if self.serial == 0 {
            self.serial = 1;
        }
        self.serial
    }

    /// The serial of the last packet sent on the connection (0: none).
    pub(crate) fn serial(&self) -> u32 {
        self.serial
    }

    /// A channel with no call, if any.
    pub(crate) fn free_channel(&self) -> Option<usize> {
        self.channels.iter().position(|c| c.call.is_none())
    }

    /// Whether no channel has a call.
    pub(crate) fn is_idle(&self) -> bool {
        self.channels.iter().all(|c| c.call.is_none())
    }

    /// The current call numbers of the channels (for a RESPONSE).
    pub(crate) fn call_numbers(&self) -> [u32; 4] {
        let mut n = [0; 4];
        for (d, c) in n.iter_mut().zip(self.channels.iter()) {
            *d = c.call_number;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_skip_zero_and_channels_fill() {
        let key = ConnKey::new(TransportAddr::V4([1, 2, 3, 4], 5), true, 1, 4);
        let mut c = Conn::new(key, 1, 0, ());
        c.serial = u32::MAX;
        assert_eq!(c.next_serial(), 1);
        assert!(c.secured && c.is_idle());
        for i in 0..4 {
            assert_eq!(c.free_channel(), Some(i));
            c.channels[i].take_client(CallHandle(i as u64));
        }
        assert_eq!(c.free_channel(), None);
        assert_eq!(c.call_numbers(), [1; 4]);
    }

    #[test]
    fn response_moves_idle_channels_on_only() {
        let key = ConnKey::new(TransportAddr::V4([1, 2, 3, 4], 5), false, 1, 4);
        let mut c = Conn::new(key, 1, 2, ());
        c.channels[0].take_service(CallHandle(1), 5);
        c.channels[1].call_number = 9;
        c.adopt_call_numbers([7, 4, 3, 0]);
        // Busy, ahead of the answer, moved on, none given.
        assert_eq!(c.call_numbers(), [5, 9, 3, 0]);
    }
}
