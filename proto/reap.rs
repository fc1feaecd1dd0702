//! Timers and lifetimes: running deadlines, discarding what is done.
//!
//! Calls are forgotten once complete and released (or never accepted);
//! connections after an idle period with no calls; peers a little later
//! once they have no connections; bundles with their last connection.

use super::call::SPARE_RINGS;
use super::conn::ConnKey;
use super::env::{Env, Map, Slots};
use super::event::CallHandle;
use super::local::Endpoint;
use super::peer::KEEPALIVE;
use super::security::Security;
use super::time::Instant;
use super::timer::earliest;
use super::wire::{Flags, Header, Packet, Version};

impl<E: Env, S: Security> Endpoint<E, S> {
    /// Call `h`'s timers, if any is due at `now`.
    fn call_timeout(&mut self, h: CallHandle, now: Instant) {
        let Self { calls, peers, .. } = self;
        let Some(c) = calls.get_mut(&h) else { return };
        if !c.next_timeout().is_some_and(|t| t <= now) {
            return;
        }
        let rtt = peers.get(&c.peer).map(|p| p.rtt).unwrap_or_default();
        if let Some((code, errno)) = c.on_timeout(now, &rtt) {
            self.abort_call(h, code, errno, now);
        }
        self.touch(h);
    }

    /// Bring the call timer index up to date with the calls touched since
    /// (all calls, after the touched list overflowed or an insertion
    /// failed).
    fn index_timers(&mut self) {
        if self.tm_ready.take_overflow() || self.timers_incomplete {
            self.timers_incomplete = false;
            // The walk unmarks every call.
            while self.tm_ready.pop().is_some() {}
            let mut cur = None;
            while let Some(h) = self.calls.next_after(cur.as_ref()) {
                cur = Some(h);
                self.index_call(h);
            }
        }
        while let Some(h) = self.tm_ready.pop() {
            self.index_call(h);
        }
    }

    /// File call `h` under its next deadline. An entry no later than that
    /// is left alone: when it comes, the call is filed again, so that timers
    /// that move later (most do, on every packet) cost no index update.
    fn index_call(&mut self, h: CallHandle) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        // Popped, or found by a walk after the queue was emptied: it is
        // not queued, and nothing queues it while the index is updated.
        self.tm_ready.unmark(&mut c.queued);
        let next = c.next_timeout();
        match (c.armed, next) {
            (_, None) => return,
            (Some(armed), Some(t)) if armed <= t => return,
            _ => {}
        }
        if let Some(t) = core::mem::replace(&mut c.armed, next) {
            self.call_timers.remove(&(t, h));
        }
        if let Some(t) = next {
            if self.call_timers.insert((t, h), ()).is_err() {
                if let Some(c) = self.calls.get_mut(&h) {
                    c.armed = None;
                }
                self.timers_incomplete = true;
            }
        }
    }

    /// The earliest call deadline, found by looking at every call.
    fn earliest_call_by_walk(&mut self) -> Option<Instant> {
        let mut next = None;
        let mut cur = None;
        while let Some(h) = self.calls.next_after(cur.as_ref()) {
            cur = Some(h);
            next = earliest(next, self.calls.get(&h).and_then(|c| c.next_timeout()));
        }
        next
    }

    /// The earliest deadline: call `handle_timeout` then.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.index_timers();
        let mut next = self.call_timers.next_after(None).map(|(t, _)| t);
        if self.timers_incomplete {
            next = self.earliest_call_by_walk();
        }
        debug_assert!(
            self.earliest_call_by_walk()
                .map_or(true, |w| next.is_some_and(|n| n <= w)),
            "call timer index out of date"
        );
        debug_assert_eq!(
            self.tx_held_by_walk(),
            self.tx_buffered,
            "Tx bytes held counted out of date"
        );
        let mut conn = self.conn_timers.next_after(None).map(|(t, _)| t);
        if self.conn_timers_incomplete {
            conn = self.earliest_conn_by_walk();
        }
        debug_assert!(
            self.earliest_conn_by_walk()
                .map_or(true, |w| conn.is_some_and(|n| n <= w)),
            "connection timer index out of date"
        );
        let idle = self.idle_client_due();
        let peer = match self.conn_peer_deadline {
            Some(t) => t,
            None => {
                let t = self.earliest_peer_by_walk();
                self.conn_peer_deadline = Some(t);
                t
            }
        };
        debug_assert!(
            self.earliest_peer_by_walk()
                .map_or(true, |w| peer.is_some_and(|o| o <= w)),
            "peer deadline noted too late"
        );
        earliest(earliest(next, idle), earliest(conn, peer))
    }

    /// The Tx bytes all calls hold, found by looking at every call.
    fn tx_held_by_walk(&mut self) -> usize {
        let mut sum = 0;
        let mut cur = None;
        while let Some(h) = self.calls.next_after(cur.as_ref()) {
            cur = Some(h);
            sum += self.calls.get(&h).map_or(0, |c| c.tx.held_bytes());
        }
        sum
    }

    /// The earliest connection expiry, found by looking at every one.
    fn earliest_conn_by_walk(&mut self) -> Option<Instant> {
        let mut next = None;
        let mut cur = None;
        while let Some(k) = self.conns.next_after(cur.as_ref()) {
            cur = Some(k);
            next = earliest(next, self.conns.get(&k).and_then(|c| c.expiry));
        }
        next
    }

    /// File connection `key` under its expiry. An entry no later than
    /// that is left alone: when it comes, the connection is filed again,
    /// so that an expiry that moves later or goes costs no index update.
    pub(crate) fn arm_conn(&mut self, key: ConnKey) {
        let Self {
            conns, conn_timers, ..
        } = self;
        let Some(c) = conns.get_mut(&key) else {
            return;
        };
        let Some(t) = c.expiry else { return };
        if c.armed.is_some_and(|a| a <= t) {
            return;
        }
        if let Some(old) = c.armed.replace(t) {
            conn_timers.remove(&(old, key));
        }
        if conn_timers.insert((t, key), ()).is_err() {
            c.armed = None;
            self.conn_timers_incomplete = true;
        }
    }

    /// Client connection `key` went idle at `now`: list it in
    /// `idle_client_conns` (unlisted for lack of memory, it has an expiry
    /// of its own instead).
    pub(crate) fn client_conn_idle(&mut self, key: ConnKey, now: Instant) {
        let idle_time = self.client_idle_time();
        let Some(c) = self.conns.get_mut(&key) else {
            return;
        };
        if let Some(old) = c.idle_since.replace(now) {
            self.idle_client_conns.remove(&(old, key));
        }
        let listed = self.idle_client_conns.insert((now, key), ()).is_ok();
        c.expiry = (!listed).then(|| now.after(idle_time));
    }

    /// Client connection `key` has a call again: it is not idle.
    pub(crate) fn client_conn_busy(&mut self, key: ConnKey) {
        let Some(c) = self.conns.get_mut(&key) else {
            return;
        };
        c.expiry = None;
        if let Some(since) = c.idle_since.take() {
            self.idle_client_conns.remove(&(since, key));
        }
    }

    /// When the oldest idle client connection is due, by the idle time
    /// the count gives now.
    fn idle_client_due(&mut self) -> Option<Instant> {
        let (since, _) = self.idle_client_conns.next_after(None)?;
        Some(since.after(self.client_idle_time()))
    }

    /// Discard the idle client connections due at `now`, oldest first; the
    /// count falls with each, and once it is within `reap_client_conns`
    /// the rest wait out the normal expiry (C's
    /// `rxrpc_discard_expired_client_conns`).
    fn discard_expired_client_conns(&mut self, now: Instant) {
        while let Some((since, key)) = self.idle_client_conns.next_after(None) {
            if since.after(self.client_idle_time()) > now {
                break;
            }
            self.idle_client_conns.remove(&(since, key));
            let idle = self
                .conns
                .get(&key)
                .is_some_and(|c| c.is_idle() && c.idle_since == Some(since));
            if idle {
                self.discard_conn(key, now);
            }
        }
    }

    /// Connection `key` may be due: discard it if it is idle and expired
    /// (a client one, unlisted from `idle_client_conns`, due by the fast
    /// expiry waits out the normal one once the count is back within the
    /// limit).
    fn conn_timeout(&mut self, key: ConnKey, now: Instant) {
        let expired = self
            .conns
            .get(&key)
            .is_some_and(|c| c.is_idle() && c.expiry.is_some_and(|t| t <= now));
        if !expired {
            return;
        }
        match self.client_conn_due(&key) {
            Some(due) if key.client && due > now => {
                if let Some(c) = self.conns.get_mut(&key) {
                    c.expiry = Some(due);
                }
            }
            _ => self.discard_conn(key, now),
        }
    }

    /// The earliest peer deadline, found by looking at every peer.
    fn earliest_peer_by_walk(&mut self) -> Option<Instant> {
        let mut next = None;
        let mut cur = None;
        while let Some(a) = self.peers.next_after(cur.as_ref()) {
            cur = Some(a);
            next = earliest(next, self.peers.get(&a).and_then(|p| p.next_timeout()));
        }
        next
    }

    /// Run everything due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.index_timers();
        if self.timers_incomplete {
            let mut cur = None;
            while let Some(h) = self.calls.next_after(cur.as_ref()) {
                cur = Some(h);
                self.call_timeout(h, now);
            }
        } else {
            while let Some((t, h)) = self.call_timers.next_after(None) {
                if t > now {
                    break;
                }
                self.call_timers.remove(&(t, h));
                if let Some(c) = self.calls.get_mut(&h) {
                    c.armed = None;
                }
                self.call_timeout(h, now);
                // Filed again at its next deadline, due or not.
                self.tm_ready.push_in(&mut self.calls, h);
            }
        }
        if self.conn_timers_incomplete {
            self.conn_timers_incomplete = false;
            let mut cur = None;
            while let Some(k) = self.conns.next_after(cur.as_ref()) {
                cur = Some(k);
                self.conn_timeout(k, now);
                self.arm_conn(k);
            }
        } else {
            while let Some((t, k)) = self.conn_timers.next_after(None) {
                if t > now {
                    break;
                }
                self.conn_timers.remove(&(t, k));
                if let Some(c) = self.conns.get_mut(&k) {
                    c.armed = None;
                }
                self.conn_timeout(k, now);
                // Filed again at its expiry, if it still has one.
                self.arm_conn(k);
            }
        }
        self.discard_expired_client_conns(now);
        if self
            .conn_peer_deadline
            .is_some_and(|t| t.map_or(true, |t| t > now))
        {
            // No peer is due yet.
            self.settle(now);
            return;
        }
        // Walked again at the next poll.
        self.conn_peer_deadline = None;
        let mut cur = None;
        while let Some(a) = self.peers.next_after(cur.as_ref()) {
            cur = Some(a);
            let Some(p) = self.peers.get_mut(&a) else {
                continue;
            };
            if p.conns == 0 && p.expiry.is_some_and(|t| t <= now) {
                self.peers.remove(&a);
                continue;
            }
            if p.keepalive.is_some_and(|t| t <= now) {
                p.keepalive = if p.conns > 0 {
                    Some(now.after(KEEPALIVE))
                } else {
                    None
                };
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
        self.attach_waiting(now);
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
        // Its neighbours in a queue for a channel would point at nothing.
        if let (Some(_), Some(b)) = (c.wait, c.bundle) {
            self.unqueue_waiting(b, h);
        }
        let Some(c) = self.calls.get(&h) else { return };
        let (rx_charged, tx_charged, group, armed) = (c.rx_charged, c.tx_charged, c.group, c.armed);
        self.keep_rings(h);
        if self.calls.remove(&h).is_some() {
            self.rx_buffered = self.rx_buffered.saturating_sub(rx_charged);
            self.tx_buffered = self.tx_buffered.saturating_sub(tx_charged);
            // A watch of the group goes on: this call has no one to tell.
            if self.group_charge(group, tx_charged, 0) {
                self.watch_group_tx(group);
            }
            if let Some(t) = armed {
                self.call_timers.remove(&(t, h));
            }
        }
    }

    /// Keep the rings of call `h`, which goes, for a new call if there is
    /// room.
    fn keep_rings(&mut self, h: CallHandle) {
        let Self {
            calls,
            env,
            spare_rings,
            spare_count,
            ..
        } = self;
        if spare_rings.as_ref().is_empty() && !spare_rings.grow(SPARE_RINGS) {
            return;
        }
        let Some(slot) = spare_rings.as_mut().get_mut(*spare_count) else {
            return;
        };
        if let Some(r) = calls.get_mut(&h).and_then(|c| c.take_rings(env)) {
            *slot = Some(r);
            *spare_count += 1;
        }
    }

    /// Drop connection `key` (it has no calls left).
    pub(crate) fn discard_conn(&mut self, key: super::conn::ConnKey, now: Instant) {
        self.conn_changed(key, false);
        let Some(conn) = self.conns.remove(&key) else {
            return;
        };
        if let Some(t) = conn.armed {
            self.conn_timers.remove(&(t, key));
        }
        if let Some(since) = conn.idle_since {
            self.idle_client_conns.remove(&(since, key));
        }
        if key.client {
            self.client_conns = self.client_conns.saturating_sub(1);
        }
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
