//! rxkad's parsers and packet checks on arbitrary bytes (see
//! `rxrpc_proto_fuzz::rxkad` for the input and the checks).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|b: &[u8]| rxrpc_proto_fuzz::rxkad::run(b));
