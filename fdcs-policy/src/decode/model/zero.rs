//! Go zero values of non-pointer fields, which the decoder reads as absent.

/// A field type's Go zero value, for non-pointer Go fields.
///
/// For a non-pointer Go scalar field (bool, string, integer, fixed-size
/// array), an absent key and its zero value (`false`, `""`, `0`, `[0,0]`)
/// decode to the very same Go value: the daemon cannot tell them apart. So
/// the decoder normalises `Some(zero)` to `None` for those fields, and the
/// judge neither converts nor forwards them (the docker CLI sends about 70
/// of them in every `run` body; dropping them took a quarter off the judge
/// bench: the forwarded body has ~30 keys instead of ~100). Rules
/// already read a non-pointer scalar's `None` and its zero alike, as the
/// daemon does.
///
/// Kept as given: fields Go declares as pointers (`*bool`, `*int64`: nil and
/// zero differ there; marked `as pointer` in `model!`); a few non-pointer
/// fields marked `as explicit`, whose zero a rule or an audit reads as sent
/// (`Privileged: false` is forwarded as judged, so the upstream request
/// states it; an empty volume driver name is refused rather than read as
/// `local`) — keeping a zero is always safe, only slower; and every slice,
/// map, struct or free-form value (`"Entrypoint": []` overrides the image's
/// entrypoint where absent or `null` does not; an empty map or struct is
/// forwarded as sent). Those types report no zero.
pub(crate) trait GoZero {
    /// Whether this is the Go zero value of a non-pointer scalar field.
    fn is_go_zero(&self) -> bool {
        false
    }
}

impl GoZero for String {
    fn is_go_zero(&self) -> bool {
        self.is_empty()
    }
}

impl GoZero for bool {
    fn is_go_zero(&self) -> bool {
        !*self
    }
}

macro_rules! go_zero_int {
    ($($t:ty)*) => {
        $(impl GoZero for $t {
            fn is_go_zero(&self) -> bool {
                *self == 0
            }
        })*
    };
}

go_zero_int!(i64 u16 u32 u64);

/// Go's `[2]uint` (`HostConfig.ConsoleSize`).
impl GoZero for [u64; 2] {
    fn is_go_zero(&self) -> bool {
        *self == [0, 0]
    }
}

/// Go's `float32`/`float64` (`UpdateConfig.MaxFailureRatio`).
impl GoZero for f64 {
    fn is_go_zero(&self) -> bool {
        *self == 0.0
    }
}

impl<T> GoZero for Vec<T> {}
impl<K, V> GoZero for std::collections::BTreeMap<K, V> {}
impl GoZero for serde_json::Value {}
