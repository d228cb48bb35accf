//! featherlight
