//! The XML request bodies: CompleteMultipartUpload's part list, DeleteObjects'
//! keys, CreateBucketConfiguration's region, and the reader beneath them.
//!
//! Input: a request body. Seeds: well-formed bodies of each kind (scripts/fuzz_seeds.py).
//!
//! Properties: no panic, no hang; every error renders as well-formed S3 XML; a
//! body the reader accepts has a root element, and reading the parsed tree's
//! leaf texts back through the writer and the reader again gives the same tree
//! (escaping round-trips).

#![no_main]

use emulator::protocol::codes::Service;
use emulator::protocol::xml::{Element, Xml};
use libfuzzer_sys::fuzz_target;

fn write(x: &mut Xml, e: &Element) {
    if e.children.is_empty() {
        x.elem(&e.name, &e.text);
        return;
    }
    x.open(&e.name);
    for c in &e.children {
        write(x, c);
    }
    x.close(&e.name);
}

/// Names the writer can emit verbatim (the reader's local names of any input).
fn writable(e: &Element) -> bool {
    !e.name.is_empty()
        && e.name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        && e.name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && e.children.iter().all(writable)
}

fuzz_target!(|data: &[u8]| {
    let read = emulator::fuzzing::xml_bodies(data);
    for e in [read.parts.err(), read.keys.err(), read.region.err()]
        .into_iter()
        .flatten()
    {
        fuzz::render::api_error(&e, Service::S3);
    }
    if let Some(tree) = emulator::fuzzing::xml_tree(data) {
        assert!(!tree.name.is_empty(), "a root element has a name");
        if writable(&tree) {
            let mut x = Xml::bare();
            write(&mut x, &tree);
            let text = x.finish();
            let again = emulator::fuzzing::xml_tree(text.as_bytes());
            assert_eq!(again.as_ref(), Some(&tree), "{text}");
        }
    }
});
