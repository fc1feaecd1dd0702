//! Host build of the kernel-independent parts of `security/`: the same
//! files the module compiles, so their parsers can be tested here.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

#[path = "../../../security/token.rs"]
pub mod token;

#[cfg(test)]
mod tests;
