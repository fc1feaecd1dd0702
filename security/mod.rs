//! Security: the "rxrpc" and "rxrpc_s" key types, and rxkad.
//!
//! [`token`] is public so that the host crate can test the payload parsers.

pub(crate) mod key;
pub(crate) mod rxkad;
pub mod token;
