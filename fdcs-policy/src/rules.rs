//! Built-in rules, one file per family (being written).
