//! # fdcs-tower — the fdcs policy as tower middleware (being written)
#![forbid(unsafe_code)]
