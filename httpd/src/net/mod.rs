//! The socket calls std lacks (`SO_REUSEPORT`, `TCP_DEFER_ACCEPT`, `TCP_QUICKACK`, `accept4`,
//! `MSG_MORE`, `sendfile`, ...) and the listeners' TCP congestion control.
//!
//! Depends on nothing else of the crate; connections and processes use it.

pub(crate) mod congestion;
pub(crate) mod idle;
pub(crate) mod socket;
