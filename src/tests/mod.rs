//! Unit tests that drive a provider or the health check through the engine ([`crate::testing`]).
//! They live here, above the engine, so that no module imports from a layer above its own; tests
//! that need only their own module stay beside it.

mod engine;
mod health;
mod json;
mod json_write;
mod oktell;
mod rostelecom;
