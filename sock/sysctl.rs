//! `sysctl net.rxrpc`: the tunables shared with the C module, with its
//! names, defaults and ranges (global, in the initial namespace, as there).

use kernel::prelude::*;

use crate::kapi::sysctl::{Registration, UintSetting};

/// `max_backlog`: the most calls `listen()` lets wait.
pub(crate) static MAX_BACKLOG: UintSetting = UintSetting::new(10, 4, 31);

/// `rx_window_size`: the receive window new endpoints offer.
pub(crate) static RX_WINDOW_SIZE: UintSetting = UintSetting::new(255, 1, 255);

/// Registers `net.rxrpc.*`.
pub(crate) fn register() -> Result<Registration> {
    Registration::new(
        c"net/rxrpc",
        &[
            (c"max_backlog", &MAX_BACKLOG),
            (c"rx_window_size", &RX_WINDOW_SIZE),
        ],
    )
}
