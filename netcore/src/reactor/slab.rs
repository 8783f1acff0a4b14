//! A slab: values in numbered slots, the number being a connection's token in an event
//! loop. A slot freed during a loop turn is reused only from the next turn ([`end_turn`]):
//! an event returned by this turn's wait may still name the old token, and must not reach
//! the connection that took its place.
//!
//! [`end_turn`]: Slab::end_turn

/// Values by token; tokens are reused, but never within the turn that freed them.
#[derive(Debug)]
pub struct Slab<T> {
    slots: Vec<Option<T>>,
    /// Reusable now.
    free: Vec<usize>,
    /// Freed this turn; reusable from the next.
    freed: Vec<usize>,
    count: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Slab<T> {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            freed: Vec::new(),
            count: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value`; its token.
    pub fn insert(&mut self, value: T) -> usize {
        self.count += 1;
        match self.free.pop() {
            Some(id) => {
                self.slots[id] = Some(value);
                id
            }
            None => {
                self.slots.push(Some(value));
                self.slots.len() - 1
            }
        }
    }

    /// Takes the value out; its token is reused from the next turn.
    pub fn remove(&mut self, id: usize) -> Option<T> {
        let value = self.slots.get_mut(id)?.take()?;
        self.count -= 1;
        self.freed.push(id);
        Some(value)
    }

    pub fn get(&self, id: usize) -> Option<&T> {
        self.slots.get(id)?.as_ref()
    }

    pub fn get_mut(&mut self, id: usize) -> Option<&mut T> {
        self.slots.get_mut(id)?.as_mut()
    }

    /// Values held.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Every token that may hold a value (some of them empty), to visit them all while
    /// removing some: `for id in slab.tokens() { ... }`.
    pub fn tokens(&self) -> std::ops::Range<usize> {
        0..self.slots.len()
    }

    /// The turn is over: the tokens freed in it become reusable.
    pub fn end_turn(&mut self) {
        self.free.append(&mut self.freed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_token_is_reused_only_after_the_turn() {
        let mut s = Slab::default();
        let a = s.insert("a");
        let b = s.insert("b");
        assert_eq!((s.len(), s.get(a), s.get(b)), (2, Some(&"a"), Some(&"b")));
        assert_eq!(s.remove(a), Some("a"));
        assert_eq!(s.remove(a), None);
        assert_eq!(s.get(a), None);
        let c = s.insert("c");
        assert_ne!(c, a, "reused within the turn that freed it");
        s.end_turn();
        let d = s.insert("d");
        assert_eq!(d, a);
        *s.get_mut(d).unwrap() = "D";
        assert_eq!(s.get(d), Some(&"D"));
        assert_eq!(s.len(), 3);
        assert_eq!(s.tokens(), 0..3);
        assert_eq!(s.get(99), None);
        assert!(!s.is_empty());
    }
}
