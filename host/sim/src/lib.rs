//! Host-side support for the rxrpc-rs engine: std memory for [`rxrpc_proto::Env`],
//! a seeded PRNG, a lossy link and a deterministic multi-node simulator.

pub mod env;
pub mod link;
pub mod rng;
pub mod scenario;
pub mod sim;

pub use env::{Pieced, StdEnv, Whole};
pub use link::LinkConfig;
pub use rng::Rng;
pub use sim::{AcceptMode, CallOpts, Node, Sim};
