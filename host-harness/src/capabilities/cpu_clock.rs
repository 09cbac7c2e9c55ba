//! The CPU time of the calling thread: what a guest's budget is measured in.
//!
//! Wall time counts the time a call waits for a core, so on a busy machine a call that computes
//! for 0.4 s could be stopped at "2 s": thread CPU time does not grow while the thread waits, so
//! queueing never counts against the guest (nor does time spent in host functions, which the
//! caller subtracts).

use std::time::Duration;

/// CPU time consumed so far by the current thread.
pub fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `clock_gettime` writes a `timespec` into the valid pointer it is given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if rc != 0 {
        // Not expected on Linux; without a clock the budget falls back on the wall bound.
        return Duration::ZERO;
    }
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_while_computing_not_while_sleeping() {
        let start = thread_cpu_time();
        std::thread::sleep(Duration::from_millis(50));
        let slept = thread_cpu_time() - start;
        let mut x = 0u64;
        let spin = std::time::Instant::now();
        while spin.elapsed() < Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let computed = thread_cpu_time() - start - slept;
        assert!(slept < Duration::from_millis(20), "sleeping used {slept:?} of CPU");
        assert!(computed > Duration::from_millis(20), "computing used only {computed:?}");
    }
}
