//! Settings the caller may change while endpoints run (the C module's
//! `net.rxrpc.*` sysctls), and what depends on them: ACK delays, the ACK
//! trailer's maxMTU and jumbo_max, and how long idle client connections
//! are kept.

use core::time::Duration;

use super::conn::ConnKey;
use super::env::Env;
use super::local::Endpoint;
use super::peer::jumbo_len;
use super::security::Security;
use super::time::Instant;

/// Run-time settings; see [`Endpoint::set_tunables`]. The defaults are the
/// C module's, but for `rx_mtu` and `rx_jumbo_max`: we take jumbo packets
/// of 46 subpackets in place (as many as we send), C's defaults say 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tunables {
    /// Longest delay of an ACK for new DATA that did not ask for one
    /// (`soft_ack_delay`). Our own delay is shorter than C's default, so
    /// this bounds it.
    pub soft_ack_delay: Duration,
    /// Longest delay of the ACK telling the sender of the window that the
    /// reader freed (`idle_ack_delay`); a bound, as above.
    pub idle_ack_delay: Duration,
    /// Idle client connections are discarded after this
    /// (`idle_conn_expiry`).
    pub client_conn_idle: Duration,
    /// ... or after this while the endpoint has more than
    /// `reap_client_conns` client connections (`idle_conn_fast_expiry`).
    pub client_conn_fast_idle: Duration,
    /// See `client_conn_fast_idle` (`reap_client_conns`).
    pub reap_client_conns: u32,
    /// The largest packet we take, advertised as the ACK trailer's maxMTU
    /// (`rx_mtu`).
    pub rx_mtu: u32,
    /// The most subpackets of a jumbo packet we take, advertised as the
    /// ACK trailer's jumbo_max (`rx_jumbo_max`).
    pub rx_jumbo_max: u32,
}

impl Tunables {
    /// The default `rx_mtu`: a jumbo of [`Self::DEFAULT_RX_JUMBO_MAX`]
    /// subpackets (65,160 bytes).
    pub const DEFAULT_RX_MTU: u32 = jumbo_len(Self::DEFAULT_RX_JUMBO_MAX as usize) as u32;
    /// The default `rx_jumbo_max`: 46, as mainline's (more than we send).
    pub const DEFAULT_RX_JUMBO_MAX: u32 = 46;
}

impl Default for Tunables {
    fn default() -> Self {
        Tunables {
            soft_ack_delay: Duration::from_millis(1000),
            idle_ack_delay: Duration::from_millis(500),
            client_conn_idle: Duration::from_secs(120),
            client_conn_fast_idle: Duration::from_secs(2),
            reap_client_conns: 900,
            rx_mtu: Tunables::DEFAULT_RX_MTU,
            rx_jumbo_max: Tunables::DEFAULT_RX_JUMBO_MAX,
        }
    }
}

impl<E: Env, S: Security> Endpoint<E, S> {
    /// Apply `t`: ACKs framed from now on advertise its sizes and use its
    /// delays, and idle client connections are kept as long as it says,
    /// counted from when each went idle.
    pub fn set_tunables(&mut self, t: Tunables) {
        self.config.tunables = t;
    }

    /// The settings in force.
    pub fn tunables(&self) -> Tunables {
        self.config.tunables
    }

    /// Client connections held, idle or not.
    pub fn client_conns(&self) -> u32 {
        self.client_conns
    }

    /// How long an idle client connection is kept now: the fast expiry
    /// while there are more client connections than `reap_client_conns`,
    /// as the C module reaps them.
    pub(crate) fn client_idle_time(&self) -> Duration {
        let t = &self.config.tunables;
        if self.client_conns > t.reap_client_conns {
            t.client_conn_fast_idle
        } else {
            t.client_conn_idle
        }
    }

    /// When idle client connection `key` may go, by the settings and the
    /// count now (`None`: not idle).
    pub(crate) fn client_conn_due(&self, key: &ConnKey) -> Option<Instant> {
        let since = self.conns.get(key)?.idle_since?;
        Some(since.after(self.client_idle_time()))
    }
}
