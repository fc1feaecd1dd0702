//! The errnos that `kernel::error::code` of 6.12 does not name (it stops
//! at `ERANGE`), as values that convert into a kernel [`Error`].

use kernel::error::Error;

use super::bindings;

/// A positive `E*` constant, named here so that code above this layer
/// needs no bindings; `?` and `.into()` turn it into an [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Errno(u32);

impl Errno {
    /// The negative value a C caller expects.
    pub(crate) const fn to_errno(self) -> i32 {
        -(self.0 as i32)
    }
}

impl From<Errno> for Error {
    fn from(e: Errno) -> Self {
        Error::from_errno(e.to_errno())
    }
}

macro_rules! errnos {
    ($($name:ident),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($name), "`.")]
            pub(crate) const $name: Errno = Errno(bindings::$name);
        )*
    };
}

errnos!(
    EBADMSG,
    ECONNABORTED,
    ECONNRESET,
    EADDRINUSE,
    EADDRNOTAVAIL,
    EAFNOSUPPORT,
    EBADSLT,
    EDESTADDRREQ,
    EISCONN,
    EKEYEXPIRED,
    EKEYREJECTED,
    EMSGSIZE,
    ENOBUFS,
    ENOKEY,
    ENOPKG,
    ENOPROTOOPT,
    EPROTO,
    EOPNOTSUPP,
    EPROTONOSUPPORT,
    ESHUTDOWN,
    ESOCKTNOSUPPORT,
);
