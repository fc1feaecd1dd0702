//! The key payload parsers of `security/token.rs` on arbitrary bytes: the
//! "rxrpc" payload (empty, v1 or XDR tokens) and the "rxrpc_s" description
//! and payload. Nothing may panic; a parsed client key stays within the
//! limits, and its XDR form (what `keyctl read` returns) parses back to
//! the same tokens whenever that form is one the parser takes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rxrpc_security::token::{
    encode_xdr, parse_client_key, parse_server_key, parse_server_key_name, TICKET_MAX, TOKENS_MAX,
};

/// The parser's bound on an XDR payload (XDR_LENGTH_MAX, private there).
const XDR_LENGTH_MAX: usize = 16384;

fuzz_target!(|b: &[u8]| {
    let Some((&split, b)) = b.split_first() else {
        return;
    };

    if let Ok(key) = parse_client_key(b) {
        assert!(key.tokens().count() <= TOKENS_MAX);
        assert!(key.tokens().all(|t| t.ticket.len() <= TICKET_MAX));
        assert_eq!(key.expiry(), key.tokens().map(|t| t.expiry).min());
        let size = encode_xdr(b"cell", key.tokens().copied(), &mut []);
        if size <= XDR_LENGTH_MAX
            && key.tokens().next().is_some()
            && key.tokens().all(|t| !t.ticket.is_empty())
        {
            let mut out = vec![0u8; size];
            assert_eq!(encode_xdr(b"cell", key.tokens().copied(), &mut out), size);
            let again = parse_client_key(&out).expect("our XDR parses");
            assert!(again.tokens().eq(key.tokens()));
        }
    }

    // An "rxrpc_s" key: description, then payload.
    let (desc, payload) = b.split_at(usize::from(split).min(b.len()));
    if let Ok(name) = parse_server_key_name(desc) {
        assert!(name.security_index >= 1);
        if let Ok(secret) = parse_server_key(&name, payload) {
            assert_eq!(&secret[..], payload);
        }
    }
});
