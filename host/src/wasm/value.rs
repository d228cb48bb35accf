//! Dynamic component values; see [`Value`]. The type lives in
//! `featherlight-wire`, next to the codec that carries it to and from the
//! guest.

pub use featherlight_wire::value::Value;
