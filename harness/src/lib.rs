//! Scenario harness: load, run and explain scenario files.
