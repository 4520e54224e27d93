//! In-process integration tests of the HTTP application: the sender API, the recipient flow, the rules
//! around codes and sessions, and the store. Every test runs on SQLite and on PostgreSQL (when
//! `ZEGEL_TEST_POSTGRES_URL` names a server, as `cargo xtask test` arranges).

mod support;

mod audit;
mod blocking;
mod cluster;
mod edges;
mod file_names;
mod flow;
mod gateway;
mod held;
mod limits;
mod notify;
mod ocr;
mod oidc;
mod openapi;
mod ops;
mod policy;
mod portals;
mod rejects;
mod replies;
mod requests;
mod retention;
mod rules;
mod scan;
mod senders;
mod settings;
mod store;
mod tracking;
mod two_factor;
mod uploads;
mod wire;
