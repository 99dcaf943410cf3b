//! Go's case-insensitive key matching, without allocating.
//!
//! `encoding/json` matches an object key to a struct field exactly first,
//! then with Unicode simple case folding (`bytes.EqualFold` / `foldName`).
//! Field names are ASCII, and the only non-ASCII runes whose fold orbit holds
//! an ASCII letter are U+212A KELVIN SIGN (`k`, `K`) and U+017F LATIN SMALL
//! LETTER LONG S (`s`, `S`): to the daemon `"Bindſ"` is `Binds`.

/// Whether `key` folds to the ASCII field name `field`, as Go decides it.
pub(crate) fn fold_eq(key: &str, field: &str) -> bool {
    let fb = field.as_bytes();
    // Every rune of `key` is at least as long as the byte it may match.
    if key.len() < fb.len() {
        return false;
    }
    let mut i = 0;
    for c in key.chars() {
        let Some(&b) = fb.get(i) else {
            return false;
        };
        let ok = if c.is_ascii() {
            (c as u8).eq_ignore_ascii_case(&b)
        } else {
            match c {
                '\u{212A}' => b.eq_ignore_ascii_case(&b'k'),
                '\u{017F}' => b.eq_ignore_ascii_case(&b's'),
                _ => false,
            }
        };
        if !ok {
            return false;
        }
        i += 1;
    }
    i == fb.len()
}

/// The field `key` names, as Go picks it: an exact match first, else the
/// first field that folds alike. Go-generated bodies list fields in struct
/// order, so the exact search starts at `cursor` (one past the last match)
/// and wraps: usually a single comparison.
pub(crate) fn find_field(fields: &[&str], key: &str, cursor: usize) -> Option<usize> {
    find_exact(fields, key.as_bytes(), cursor)
        .or_else(|| fields.iter().position(|f| fold_eq(key, f)))
}

/// The field named exactly `key` (raw bytes, as sent), searched from
/// `cursor` and wrapping; see [`find_field`].
pub(crate) fn find_exact(fields: &[&str], key: &[u8], cursor: usize) -> Option<usize> {
    let n = fields.len();
    (0..n)
        .map(|k| (cursor + k) % n)
        .find(|&i| fields.get(i).is_some_and(|f| f.as_bytes() == key))
}

#[cfg(test)]
mod tests {
    use super::{find_field, fold_eq};

    #[test]
    fn exact_match_wins_wherever_the_cursor_is() {
        let fields = ["Abc", "ABC", "Def"];
        assert_eq!(find_field(&fields, "ABC", 0), Some(1));
        assert_eq!(find_field(&fields, "Abc", 2), Some(0));
        // folded: the first field in order
        assert_eq!(find_field(&fields, "abc", 2), Some(0));
        assert_eq!(find_field(&fields, "xyz", 1), None);
        assert_eq!(find_field(&[], "x", 0), None);
    }

    #[test]
    fn ascii_case_folds() {
        assert!(fold_eq("privileged", "Privileged"));
        assert!(fold_eq("PRIVILEGED", "Privileged"));
        assert!(!fold_eq("Privilege", "Privileged"));
        assert!(!fold_eq("Privilegedd", "Privileged"));
    }

    #[test]
    fn kelvin_and_long_s_fold_like_go() {
        assert!(fold_eq("Bind\u{17F}", "Binds"));
        assert!(fold_eq("\u{212A}ernelMemory", "KernelMemory"));
        assert!(fold_eq("ma\u{17F}\u{212A}edpaths", "MaskedPaths"));
    }

    #[test]
    fn other_lookalikes_do_not_fold() {
        // U+0130 / U+0131 (Turkish i) are not in a simple fold orbit with `i`.
        assert!(!fold_eq("Pr\u{131}vileged", "Privileged"));
        assert!(!fold_eq("Pr\u{130}vileged", "Privileged"));
        assert!(!fold_eq("Image\u{0}", "Image"));
    }
}
