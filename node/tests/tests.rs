//! The node library's tests, one module per topic, in one binary: peer
//! messages through the codecs, staff accounts, the store in-process, and the
//! store under `kill -9` (the test re-runs this binary as the writer it
//! kills).

mod codec;
mod crash;
mod staff;
mod store;
