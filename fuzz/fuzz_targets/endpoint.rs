//! The engine's whole input path: a script of datagrams, ICMP errors, time
//! steps and application calls against one endpoint (see
//! `rxrpc_proto_fuzz::endpoint` for the script and the checks).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|b: &[u8]| rxrpc_proto_fuzz::endpoint::run(b));
