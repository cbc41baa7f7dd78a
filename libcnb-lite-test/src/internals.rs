//! Support for the `assert_*!` macros; not part of the API.

pub use regex::Regex;

/// What `assert_contains!` looks for: a string (owned or borrowed) or a char. libcnb-test
/// passes the right side straight to `str::contains`, which takes `&str` and `char` but
/// not `String`; taking `String` too lets `format!(…)` be the right side.
pub trait Needle {
    /// Whether `haystack` contains `self`.
    fn is_in(&self, haystack: &str) -> bool;
}

impl Needle for str {
    fn is_in(&self, haystack: &str) -> bool {
        haystack.contains(self)
    }
}

impl Needle for String {
    fn is_in(&self, haystack: &str) -> bool {
        haystack.contains(self.as_str())
    }
}

impl Needle for char {
    fn is_in(&self, haystack: &str) -> bool {
        haystack.contains(*self)
    }
}

impl<T: Needle + ?Sized> Needle for &T {
    fn is_in(&self, haystack: &str) -> bool {
        (**self).is_in(haystack)
    }
}

/// Whether `haystack` contains `needle`.
pub fn contains<H: AsRef<str> + ?Sized, N: Needle + ?Sized>(haystack: &H, needle: &N) -> bool {
    needle.is_in(haystack.as_ref())
}
