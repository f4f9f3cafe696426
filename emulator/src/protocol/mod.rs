//! Protocol facts as data: the error-code table and the XML the emulator speaks.

pub mod codes;
pub mod form;
pub mod names;
pub mod xml;
