//! Errors returned to the caller by the engine's API.

/// Linux errno values the glue returns for these errors.
mod errno {
    pub(super) const ENOMEM: i32 = 12;
    pub(super) const EBUSY: i32 = 16;
    pub(super) const EINVAL: i32 = 22;
    pub(super) const ENODATA: i32 = 61;
    pub(super) const EPROTO: i32 = 71;
    pub(super) const EBADSLT: i32 = 57;
    pub(super) const ESHUTDOWN: i32 = 108;
    pub(super) const ENOBUFS: i32 = 105;
    pub(super) const EMSGSIZE: i32 = 90;
}

/// Why an API call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Memory could not be allocated (ENOMEM).
    NoMemory,
    /// No such call (EBADSLT).
    BadCall,
    /// The call is not in a state that allows this (EPROTO).
    WrongState,
    /// The call already completed (ESHUTDOWN).
    Completed,
    /// No incoming call waits to be accepted (ENODATA).
    NoCallToAccept,
    /// The service is not set up or not listening (EINVAL).
    Invalid,
    /// The charge queue is full (ENOBUFS).
    NoBuffers,
    /// The configuration is in use and cannot change now (EBUSY).
    Busy,
    /// Data beyond, or short of, the length set with TX_LENGTH (EMSGSIZE).
    MessageSize,
}

impl Error {
    /// The positive errno the glue reports for this error.
    pub fn errno(self) -> i32 {
        match self {
            Error::NoMemory => errno::ENOMEM,
            Error::BadCall => errno::EBADSLT,
            Error::WrongState => errno::EPROTO,
            Error::Completed => errno::ESHUTDOWN,
            Error::NoCallToAccept => errno::ENODATA,
            Error::Invalid => errno::EINVAL,
            Error::NoBuffers => errno::ENOBUFS,
            Error::Busy => errno::EBUSY,
            Error::MessageSize => errno::EMSGSIZE,
        }
    }
}

/// errno for a call ended by its own timeouts (hard, idle or no progress).
pub(crate) const ETIME: i32 = 62;
/// errno for a call whose channel was taken by a newer call.
pub(crate) const ESHUTDOWN: i32 = errno::ESHUTDOWN;
/// errno for a protocol violation by the peer.
pub(crate) const EPROTO: i32 = errno::EPROTO;
/// errno for an allocation failure.
pub(crate) const ENOMEM: i32 = errno::ENOMEM;
