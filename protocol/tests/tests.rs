//! The protocol's tests, one module per topic, in one binary (ripgrep's
//! layout: `cargo test -p yiyi-protocol --test integration merkle::` runs one).

mod corrections;
mod deadlines;
mod disputes;
mod entry;
mod escalation;
mod federation;
mod hotline;
mod joint;
mod light;
mod merkle;
mod notes;
mod policy;
mod release;
mod rounds;
mod rules;
mod stats;
mod tally;
mod tiles;
mod vectors;
mod witness;
