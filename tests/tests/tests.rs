//! The whole system's tests, one module per topic, in one binary: real
//! `yiyi` and `yiyi-node` processes (and nodes spawned in-process), real
//! files, real sockets, a real browser. `cargo test -p yiyi-tests --test
//! integration office::` runs one topic.

mod accountability;
mod board;
mod board_pages;
mod calendar;
mod city;
mod concerns;
mod connections;
mod console;
mod corrections;
mod crash;
mod demo;
mod escalation;
mod federation;
mod flood;
mod hotline;
mod https;
mod in_process;
mod joint;
mod meeting_record;
mod month;
mod node_init;
mod office;
mod open311;
mod replication;
mod rounds;
mod secrets;
mod slowloris;
mod stats;
mod tiles;
mod upgrade;
mod verify;
mod witnesses;
