//! Per-key locks inside one instance of the core: a webhook that reads, changes and writes back
//! storage keys holds them from its read to its write, so that concurrent requests in one process
//! never interleave on a key (no lost update, no second record from a repeated delivery).
//!
//! The core is single-threaded (wasm, or one native executor), so the locks are a plain list in a
//! thread-local: [`lock`] waits until none of its keys is held, then takes them all at once (no
//! request ever holds some keys while waiting for others, so there is no deadlock). The
//! [`Guard`] releases them when dropped, also when the request's future is dropped half-way.
//! Across instances (two workers sharing one storage) nothing is locked: see the claims in
//! [`crate::callstore`].

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

thread_local! {
    /// The keys held now, and the wakers of the requests waiting for any of them.
    static HELD: RefCell<Held> = const { RefCell::new(Held { keys: Vec::new(), waiting: Vec::new() }) };
}

struct Held {
    keys: Vec<String>,
    waiting: Vec<Waker>,
}

/// The keys one request holds; released on drop.
#[derive(Debug)]
pub struct Guard {
    keys: Vec<String>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let waiting = HELD.with(|h| {
            let Ok(mut h) = h.try_borrow_mut() else {
                return Vec::new();
            };
            h.keys.retain(|k| !self.keys.contains(k));
            std::mem::take(&mut h.waiting)
        });
        for w in waiting {
            w.wake();
        }
    }
}

/// Waits until none of `keys` is held by another request of this instance, then holds them all.
pub fn lock(keys: &[String]) -> Lock {
    let mut unique: Vec<String> = Vec::with_capacity(keys.len());
    for k in keys {
        if !unique.contains(k) {
            unique.push(k.clone());
        }
    }
    Lock { keys: Some(unique) }
}

/// The future of [`lock`].
#[derive(Debug)]
pub struct Lock {
    keys: Option<Vec<String>>,
}

impl Future for Lock {
    type Output = Guard;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Guard> {
        let Some(keys) = self.keys.take() else {
            return Poll::Pending;
        };
        let taken = HELD.with(|h| {
            let Ok(mut h) = h.try_borrow_mut() else {
                // Never re-entered in practice; take nothing rather than panic.
                return true;
            };
            if keys.iter().any(|k| h.keys.contains(k)) {
                h.waiting.push(cx.waker().clone());
                return false;
            }
            h.keys.extend(keys.iter().cloned());
            true
        });
        if taken {
            Poll::Ready(Guard { keys })
        } else {
            self.keys = Some(keys);
            Poll::Pending
        }
    }
}

/// How many keys are held now (for tests).
pub fn held() -> usize {
    HELD.with(|h| h.try_borrow().map_or(0, |h| h.keys.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct Flag(std::sync::atomic::AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn a_second_request_waits_for_a_shared_key_and_gets_it_on_release() {
        let flag = Arc::new(Flag(false.into()));
        let waker = Waker::from(Arc::clone(&flag));
        let mut cx = Context::from_waker(&waker);
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let first = pollster::block_on(lock(&keys(&["a", "b"])));
        // Disjoint keys are not blocked.
        let other = pollster::block_on(lock(&keys(&["c"])));
        let mut second = Box::pin(lock(&keys(&["b", "d"])));
        assert!(second.as_mut().poll(&mut cx).is_pending());
        assert_eq!(held(), 3, "nothing of the waiting request is held");
        drop(other);
        drop(first);
        assert!(
            flag.0.load(std::sync::atomic::Ordering::SeqCst),
            "woken on release"
        );
        let Poll::Ready(g) = second.as_mut().poll(&mut cx) else {
            panic!("the keys are free now")
        };
        assert_eq!(held(), 2);
        drop(g);
        assert_eq!(held(), 0);
    }
}
