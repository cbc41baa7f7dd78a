//! Export benchmark (pending).
fn main() {}
