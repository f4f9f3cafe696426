//! `emulator`: serve a world file on a local port.

fn main() {}
