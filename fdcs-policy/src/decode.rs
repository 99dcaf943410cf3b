//! Go-exact JSON decoding into typed models (being written).
