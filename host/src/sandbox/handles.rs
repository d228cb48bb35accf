//! The sandbox's table of host-resource handles: the numbers the guest holds
//! for the host's objects.
//!
//! The guest never sees the application's own numbers (reps): every handle it
//! sends is looked up here, so a handle it was not given (never issued,
//! already dropped, or of another resource type) is a typed error, not a
//! reach into another object. Freed slots are reused, so the table stays as
//! large as the most handles live at once; a generation counter in each
//! handle tells a stale handle from the slot's next occupant.

use crate::Value;
use crate::error::{Error, HandleProblem, Side};
use crate::wasm::types::ValueType;
use featherlight_wire::types::for_each_handle;
use std::sync::Arc;

/// Low bits of a handle: the slot index plus one (so 0 is never a handle).
const INDEX_BITS: u32 = 20;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
/// Most handles live at once.
pub const MAX_HANDLES: usize = INDEX_MASK as usize - 1;

#[derive(Clone, Debug)]
struct Slot {
    /// Bumped each time the slot is freed (wrapping in the handle's high bits).
    generation: u32,
    /// The resource type's name and the application's rep, while in use.
    entry: Option<(Arc<str>, u32)>,
}

/// Handles of one sandbox. Cloned into snapshots with the guest's memory,
/// so a restore brings back exactly the handles the guest then held.
#[derive(Clone, Debug, Default)]
pub(crate) struct HandleTable {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

impl HandleTable {
    /// Issues a handle for the application's `rep` of `resource`.
    pub(crate) fn insert(&mut self, resource: &Arc<str>, rep: u32) -> Result<u32, Error> {
        let index = match self.free.pop() {
            Some(index) => index,
            None if self.slots.len() < MAX_HANDLES => {
                self.slots.push(Slot { generation: 0, entry: None });
                u32::try_from(self.slots.len() - 1).unwrap_or(INDEX_MASK)
            }
            None => {
                return Err(Error::InvalidHandle {
                    resource: resource.to_string(),
                    handle: 0,
                    reason: HandleProblem::TooMany { limit: MAX_HANDLES },
                    from: Side::Guest,
                });
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.entry = Some((resource.clone(), rep));
        Ok((slot.generation << INDEX_BITS) | (index + 1))
    }

    /// The rep behind `handle` of `resource`, which stays issued (a borrow).
    pub(crate) fn get(&self, resource: &Arc<str>, handle: u32) -> Result<u32, Error> {
        let index = self.lookup(resource, handle)?;
        Ok(self.slots[index].entry.as_ref().map_or(0, |(_, rep)| *rep))
    }

    /// Takes `handle` of `resource` back (ownership moved to the host, or
    /// the guest dropped it) and returns its rep; the slot is reused later.
    pub(crate) fn remove(&mut self, resource: &Arc<str>, handle: u32) -> Result<u32, Error> {
        let index = self.lookup(resource, handle)?;
        let slot = &mut self.slots[index];
        let rep = slot.entry.take().map_or(0, |(_, rep)| rep);
        slot.generation = (slot.generation + 1) & (u32::MAX >> INDEX_BITS);
        self.free.push(u32::try_from(index).unwrap_or(INDEX_MASK));
        Ok(rep)
    }

    /// Handles issued and not yet taken back.
    pub(crate) fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Slots allocated: the table's size, live or free.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The table as a snapshot file keeps it: each slot's generation and
    /// the free list, or `None` while a handle is live (its rep is an
    /// object of this process).
    pub(crate) fn to_free_slots(&self) -> Option<(Vec<u32>, Vec<u32>)> {
        (self.live() == 0).then(|| (self.slots.iter().map(|slot| slot.generation).collect(), self.free.clone()))
    }

    /// A table of free slots back from [`Self::to_free_slots`] (the file's
    /// parser checked that `free` lists each slot once).
    pub(crate) fn from_free_slots(generations: &[u32], free: &[u32]) -> Self {
        let slots = generations
            .iter()
            .map(|generation| Slot { generation: generation & (u32::MAX >> INDEX_BITS), entry: None })
            .collect();
        Self { slots, free: free.to_vec() }
    }

    /// Turns the host-resource handles in `values` (from the guest) into
    /// the application's reps: an owned handle is taken back, a borrowed
    /// one stays issued.
    pub(crate) fn accept_from_guest(&mut self, values: &mut [Value], types: &[ValueType]) -> Result<(), Error> {
        for (value, ty) in values.iter_mut().zip(types) {
            for_each_handle(value, ty, &mut |handle, owned, resource| {
                if resource.host {
                    *handle =
                        if owned { self.remove(&resource.name, *handle)? } else { self.get(&resource.name, *handle)? };
                }
                Ok::<_, Error>(())
            })?;
        }
        Ok(())
    }

    /// Turns the application's reps of host resources in `values` (going to
    /// the guest) into handles. The handles issued are returned, with
    /// whether each is owned: the caller takes borrows back once the call
    /// is over.
    pub(crate) fn issue_to_guest(
        &mut self,
        values: &mut [Value],
        types: &[ValueType],
    ) -> Result<Vec<(Arc<str>, u32, bool)>, Error> {
        let mut issued = Vec::new();
        for (value, ty) in values.iter_mut().zip(types) {
            for_each_handle(value, ty, &mut |handle, owned, resource| {
                if resource.host {
                    *handle = self.insert(&resource.name, *handle)?;
                    issued.push((resource.name.clone(), *handle, owned));
                }
                Ok::<_, Error>(())
            })?;
        }
        Ok(issued)
    }

    /// Only the guest presents these handles: an invalid one is a forgery.
    fn lookup(&self, resource: &Arc<str>, handle: u32) -> Result<usize, Error> {
        let invalid =
            |reason| Error::InvalidHandle { resource: resource.to_string(), handle, reason, from: Side::Guest };
        let index = (handle & INDEX_MASK).checked_sub(1).ok_or_else(|| invalid(HandleProblem::NeverIssued))? as usize;
        let slot = self.slots.get(index).ok_or_else(|| invalid(HandleProblem::NeverIssued))?;
        match &slot.entry {
            Some((ty, _)) if slot.generation == handle >> INDEX_BITS => {
                if ty == resource {
                    Ok(index)
                } else {
                    Err(invalid(HandleProblem::OtherResource { actual: Some(ty.to_string()) }))
                }
            }
            _ => Err(invalid(HandleProblem::Dropped)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_checks_and_reuses_handles() {
        let (blob, other): (Arc<str>, Arc<str>) = ("i#blob".into(), "i#other".into());
        let mut table = HandleTable::default();
        let a = table.insert(&blob, 10).unwrap();
        let b = table.insert(&blob, 11).unwrap();
        assert_ne!(a, b);
        assert_eq!(table.get(&blob, a).unwrap(), 10);
        let problem = |outcome: Result<u32, Error>| match outcome {
            Err(Error::InvalidHandle { reason, from: Side::Guest, .. }) => reason,
            other => panic!("expected an invalid handle from the guest, got {other:?}"),
        };
        assert_eq!(problem(table.get(&other, a)), HandleProblem::OtherResource { actual: Some("i#blob".into()) });
        assert_eq!(problem(table.get(&blob, 0)), HandleProblem::NeverIssued);
        assert_eq!(problem(table.get(&blob, 12345)), HandleProblem::NeverIssued);
        assert_eq!(table.remove(&blob, a).unwrap(), 10);
        // Stale: the slot is reused with a new generation.
        assert_eq!(problem(table.get(&blob, a)), HandleProblem::Dropped);
        let c = table.insert(&blob, 12).unwrap();
        assert_ne!(c, a);
        assert_eq!(problem(table.remove(&blob, a)), HandleProblem::Dropped);
        assert_eq!(table.get(&blob, c).unwrap(), 12);
        for i in 0..10_000 {
            let h = table.insert(&blob, i).unwrap();
            table.remove(&blob, h).unwrap();
        }
        assert_eq!((table.live(), table.capacity()), (2, 3));
    }
}
