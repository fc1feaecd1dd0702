//! Timers and lifetimes: running deadlines, discarding what is done.
//!
//! Calls are forgotten once complete and released (or never accepted);
//! connections after an idle period with no calls; peers a little later
//! once they have no connections; bundles with their last connection.

use super::env::{Env, Map};
use super::event::CallHandle;
use super::local::Endpoint;
use super::peer::KEEPALIVE;
use super::security::Security;
use super::time::Instant;
use super::timer::earliest;
use super::wire::{Flags, Header, Packet, Version};

impl<E: Env, S: Security> Endpoint<E, S> {
    /// The earliest deadline: call `handle_timeout` then.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let mut next = None;
        let mut cur = None;
        while let Some(h) = self.calls.next_after(cur.as_ref()) {
            cur = Some(h);
            next = earliest(next, self.calls.get(&h).and_then(|c| c.next_timeout()));
        }
        let mut cur = None;
        while let Some(k) = self.conns.next_after(cur.as_ref()) {
            cur = Some(k);
            next = earliest(next, self.conns.get(&k).and_then(|c| c.expiry));
        }
        let mut cur = None;
        while let Some(a) = self.peers.next_after(cur.as_ref()) {
            cur = Some(a);
            next = earliest(next, self.peers.get(&a).and_then(|p| p.next_timeout()));
        }
        next
    }

    /// Run everything due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut cur = None;
        while let Some(h) = self.calls.next_after(cur.as_ref()) {
            cur = Some(h);
            let Self { calls, peers, .. } = self;
            let Some(c) = calls.get_mut(&h) else { continue };
            if !c.next_timeout().is_some_and(|t| t <= now) {
                continue;
            }
            let rtt = peers.get(&c.peer).map(|p| p.rtt).unwrap_or_default();
            if let Some((code, errno)) = c.on_timeout(now, &rtt) {
                self.abort_call(h, code, errno, now);
            }
            self.touch(h);
        }
        let mut cur = None;
        while let Some(k) = self.conns.next_after(cur.as_ref()) {
            cur = Some(k);
            let expired = self.conns.get(&k).is_some_and(|c| c.is_idle() && c.expiry.is_some_and(|t| t <= now));
            if expired {
                self.discard_conn(k, now);
            }
        }
        let mut cur = None;
        while let Some(a) = self.peers.next_after(cur.as_ref()) {
            cur = Some(a);
            let Some(p) = self.peers.get_mut(&a) else { continue };
            if p.conns == 0 && p.expiry.is_some_and(|t| t <= now) {
                self.peers.remove(&a);
                continue;
            }
            if p.keepalive.is_some_and(|t| t <= now) {
                p.keepalive = if p.conns > 0 { Some(now.after(KEEPALIVE)) } else { None };
                let hdr = Header {
                    epoch: self.config.epoch,
                    serial: self.loose_serial(),
                    flags: Flags::default(),
                    ..Header::default()
                };
                self.queue_packet(a, &hdr, &Packet::Version(Version::Reply(&[])));
            }
        }
        self.settle(now);
    }

    /// Work left over by an entry point: give freed channels to waiting
    /// calls.
    pub(crate) fn settle(&mut self, now: Instant) {
        if self.attach_waiting_soon {
            self.attach_waiting_soon = false;
            self.attach_waiting(now);
        }
    }

    /// Forget call `h` if nobody can still ask about it.
    pub(crate) fn reap_call(&mut self, h: CallHandle, _now: Instant) {
        let Some(c) = self.calls.get(&h) else { return };
        if !c.is_complete() || c.awaiting_accept {
            return;
        }
        if c.user.is_some() && !c.released {
            return;
        }
        if let Some(key) = c.conn {
            let held = self
                .conns
                .get(&key)
                .and_then(|conn| conn.channels.get(usize::from(c.channel)))
                .is_some_and(|ch| ch.call == Some(h));
            if held {
                return;
            }
        }
        if let Some(c) = self.calls.remove(&h) {
            self.rx_buffered = self.rx_buffered.saturating_sub(c.rx_charged);
        }
    }

    /// Drop connection `key` (it has no calls left).
    pub(crate) fn discard_conn(&mut self, key: super::conn::ConnKey, now: Instant) {
        let Some(conn) = self.conns.remove(&key) else { return };
        if let Some(bkey) = conn.bundle {
            if let Some(b) = self.bundles.get_mut(&bkey) {
                b.remove(key.cid);
            }
            self.bundle_maybe_free(bkey);
        }
        if let Some(p) = self.peers.get_mut(&key.peer) {
            p.conns = p.conns.saturating_sub(1);
        }
        self.peer_maybe_idle(key.peer, now);
    }
}
