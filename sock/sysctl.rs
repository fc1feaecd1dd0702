//! `sysctl net.rxrpc`: the tunables of the C module, with its names,
//! units, defaults and ranges (net/rxrpc/sysctl.c and misc.c; global, in
//! the initial namespace, as there). The engine is given them with
//! [`tunables`] before each run, so a change reaches live endpoints too.

use core::ffi::CStr;

use kernel::prelude::*;

use crate::kapi::sysctl::{
    JiffiesSetting, MsSetting, Registration, Setting, UintSetting, MAX_JIFFY_OFFSET,
};
use crate::kapi::HZ;
use crate::proto::Tunables;

/// `soft_ack_delay` (ms): the longest an ACK of new DATA is put off.
pub(crate) static SOFT_ACK_DELAY: MsSetting = MsSetting::new(1000, 1, 1000);

/// `idle_ack_delay` (ms): the longest the ACK telling the sender of the
/// window the reader freed is put off.
pub(crate) static IDLE_ACK_DELAY: MsSetting = MsSetting::new(500, 1, 1000);

/// `idle_conn_expiry` (jiffies, shown in ms): how long an idle client
/// connection is kept.
pub(crate) static IDLE_CONN_EXPIRY: JiffiesSetting =
    JiffiesSetting::new(2 * 60 * HZ as u64, 1, MAX_JIFFY_OFFSET);

/// `idle_conn_fast_expiry` (jiffies, shown in ms): the same while there
/// are more than `reap_client_conns` client connections.
pub(crate) static IDLE_CONN_FAST_EXPIRY: JiffiesSetting =
    JiffiesSetting::new(2 * HZ as u64, 1, MAX_JIFFY_OFFSET);

/// `reap_client_conns`: client connections beyond which idle ones are
/// discarded after `idle_conn_fast_expiry`.
pub(crate) static REAP_CLIENT_CONNS: UintSetting = UintSetting::new(900, 1, 65535);

/// `max_backlog`: the most calls `listen()` lets wait.
pub(crate) static MAX_BACKLOG: UintSetting = UintSetting::new(10, 4, 31);

/// `rx_window_size`: the receive window new endpoints offer.
pub(crate) static RX_WINDOW_SIZE: UintSetting = UintSetting::new(255, 1, 255);

/// `rx_mtu`: the largest packet we say we take (ACK trailer maxMTU); by
/// default a jumbo of 46 subpackets, 65,160 bytes (C: 5692, a jumbo of 4).
pub(crate) static RX_MTU: UintSetting = UintSetting::new(Tunables::DEFAULT_RX_MTU, 1, 65535);

/// `rx_jumbo_max`: the most subpackets of a jumbo packet we say we take
/// (ACK trailer jumbo_max); 46 by default (C: 4), up to mainline's 47.
pub(crate) static RX_JUMBO_MAX: UintSetting =
    UintSetting::new(Tunables::DEFAULT_RX_JUMBO_MAX, 1, 47);

/// The settings the engine applies, as they are now.
pub(crate) fn tunables() -> Tunables {
    Tunables {
        soft_ack_delay: SOFT_ACK_DELAY.get(),
        idle_ack_delay: IDLE_ACK_DELAY.get(),
        client_conn_idle: IDLE_CONN_EXPIRY.get(),
        client_conn_fast_idle: IDLE_CONN_FAST_EXPIRY.get(),
        reap_client_conns: REAP_CLIENT_CONNS.get(),
        rx_mtu: RX_MTU.get(),
        rx_jumbo_max: RX_JUMBO_MAX.get(),
    }
}

/// Registers `net.rxrpc.*`, in the C module's order.
pub(crate) fn register() -> Result<Registration> {
    let settings: [(&'static CStr, &'static dyn Setting); 9] = [
        (c"soft_ack_delay", &SOFT_ACK_DELAY),
        (c"idle_ack_delay", &IDLE_ACK_DELAY),
        (c"idle_conn_expiry", &IDLE_CONN_EXPIRY),
        (c"idle_conn_fast_expiry", &IDLE_CONN_FAST_EXPIRY),
        (c"reap_client_conns", &REAP_CLIENT_CONNS),
        (c"max_backlog", &MAX_BACKLOG),
        (c"rx_window_size", &RX_WINDOW_SIZE),
        (c"rx_mtu", &RX_MTU),
        (c"rx_jumbo_max", &RX_JUMBO_MAX),
    ];
    Registration::new(c"net/rxrpc", &settings)
}
