//! `maxmemory`: before a command that may add memory, evict keys until the allocator's count
//! is under the limit (`allkeys-lru`: the least recently used of a few sampled keys, Redis's
//! approximation), or refuse the command with Redis's OOM error (`noeviction`, or nothing
//! left to evict). Each eviction is logged as a `DEL`.

use crate::config::Policy;
use crate::state::Server;

pub(crate) const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Makes room under `maxmemory`, or says why not.
pub(crate) fn make_room(server: &mut Server) -> Result<(), &'static str> {
    let limit = server.config.maxmemory as usize;
    if limit == 0 {
        return Ok(());
    }
    while (server.used_memory)() > limit {
        if server.config.maxmemory_policy == Policy::NoEviction || server.db.len() == 0 {
            return Err(OOM);
        }
        let Some(victim) = sample_oldest(server) else {
            return Err(OOM);
        };
        server.db.remove(&victim);
        server.db.stats.evicted_keys += 1;
        if server.aof.enabled {
            crate::cmd::encode(&mut server.aof_buf, &[b"DEL".to_vec(), victim]);
        }
    }
    Ok(())
}

/// The least recently used of `maxmemory-samples` random keys.
fn sample_oldest(server: &mut Server) -> Option<Vec<u8>> {
    let clock = server.db.lru_clock;
    let mut best: Option<(u32, Vec<u8>)> = None;
    for _ in 0..server.config.maxmemory_samples {
        let source = server.random_source();
        let Some((key, entry)) = server.db.random(source) else {
            break;
        };
        let idle = clock.wrapping_sub(entry.lru);
        if best.as_ref().is_none_or(|(b, _)| idle > *b) {
            best = Some((idle, key.to_vec()));
        }
    }
    best.map(|(_, k)| k)
}
