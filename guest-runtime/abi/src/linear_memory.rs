//! Where Wasm linear memories live in the guest, and how their backing
//! memory is committed as they grow.
//!
//! Linear memories do not live on the guest heap. The host maps a separate
//! **linear-memory area** at [`BASE`] (guest-virtual = guest-physical, 2 MiB
//! pages, writable, never executable, never guest copy-on-write), cut into
//! [`RESERVATION`]-sized reservations: the guest gives each linear memory
//! one, so a memory grows in place up to 4 GiB without copying (wasmtime's
//! 32-bit default). The host backs the area with sparse memory (host memory
//! exists only for pages the guest touched) and hands it to the hypervisor
//! piece by piece: a memory slot costs the host kernel memory in proportion
//! to its size (about 2 MiB per GiB under shadow paging), so only the
//! committed prefix of each reservation has one. The guest asks for more
//! with an exit through [`crate::ports::LINEAR_MEMORY`], geometrically
//! ([`next_commit`]), so growing to 4 GiB takes at most a handful of exits.

/// Guest-physical (and virtual) address of the linear-memory area: 1 TiB,
/// far above scratch (at most 64 GiB) and the guest-CoW memory after it.
pub const BASE: u64 = 1 << 40;

/// Bytes reserved for each linear memory: the most a 32-bit memory can hold.
pub const RESERVATION: u64 = 4 << 30;

/// The unit of commitment (and of the area's page mappings).
pub const COMMIT_UNIT: u64 = 2 << 20;

/// The smallest commitment of a reservation.
pub const MIN_COMMIT: u64 = 32 << 20;

/// How many bytes of a reservation to commit when `needed` bytes must be
/// usable and `committed` already are: at least double, at least
/// [`MIN_COMMIT`], whole [`COMMIT_UNIT`]s, at most [`RESERVATION`]. `None`
/// if `needed` is beyond the reservation. Host and guest both apply it: the
/// host commits no less than this whatever the guest asks, which bounds the
/// number of memory slots per reservation.
pub fn next_commit(committed: u64, needed: u64) -> Option<u64> {
    if needed > RESERVATION {
        return None;
    }
    if needed <= committed {
        return Some(committed);
    }
    let wanted = needed.max(committed.saturating_mul(2)).max(MIN_COMMIT);
    Some(wanted.next_multiple_of(COMMIT_UNIT).min(RESERVATION))
}

/// The value the guest passes with [`crate::ports::LINEAR_MEMORY`]: the end
/// of the area's part that must be committed, as an offset from [`BASE`] in
/// [`COMMIT_UNIT`]s (the reservation is the one that offset ends in).
pub fn request(reservation: u64, end: u64) -> Option<u32> {
    let offset = reservation.checked_mul(RESERVATION)?.checked_add(end)?;
    u32::try_from(offset.div_ceil(COMMIT_UNIT)).ok()
}

/// The reservation and the bytes of it a [`request`] value asks for, or
/// `None` for zero.
pub fn decode_request(value: u32) -> Option<(u64, u64)> {
    let end = u64::from(value).checked_mul(COMMIT_UNIT)?;
    let last = end.checked_sub(1)?;
    let reservation = last / RESERVATION;
    Some((reservation, end - reservation * RESERVATION))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_grow_geometrically_and_stop_at_the_reservation() {
        assert_eq!(next_commit(0, 1), Some(MIN_COMMIT));
        assert_eq!(next_commit(MIN_COMMIT, MIN_COMMIT), Some(MIN_COMMIT));
        assert_eq!(next_commit(MIN_COMMIT, MIN_COMMIT + 1), Some(2 * MIN_COMMIT));
        assert_eq!(next_commit(0, 100 << 20), Some(100 << 20));
        assert_eq!(next_commit(3 << 30, (3 << 30) + 1), Some(RESERVATION));
        assert_eq!(next_commit(0, RESERVATION + 1), None);
        // From nothing to 4 GiB in 64 KiB steps: at most 8 commitments.
        let (mut committed, mut commits) = (0, 0);
        for step in 1..=(RESERVATION >> 16) {
            let next = next_commit(committed, step << 16).unwrap();
            commits += u32::from(next != committed);
            committed = next;
        }
        assert!(commits <= 8, "{commits}");
    }

    #[test]
    fn requests_round_trip() {
        assert_eq!(decode_request(request(0, MIN_COMMIT).unwrap()), Some((0, MIN_COMMIT)));
        assert_eq!(decode_request(request(2, RESERVATION).unwrap()), Some((2, RESERVATION)));
        assert_eq!(decode_request(request(1, 1).unwrap()), Some((1, COMMIT_UNIT)));
        assert_eq!(decode_request(0), None);
    }
}
