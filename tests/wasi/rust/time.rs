//! std::time: Instant is monotonic and advances; thread::sleep(50 ms) takes
//! at least 50 ms (poll_oneoff); SystemTime::now is after 2020 and before
//! 2100, advances with Instant, and supports arithmetic. Prints only checks.
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let mut failed = 0;
    let mut check = |ok: bool, what: &str| {
        if ok {
            println!("ok {what}");
        } else {
            println!("FAIL {what}");
            failed += 1;
        }
    };

    let start = Instant::now();
    let mut prev = start;
    let mut back = 0;
    for _ in 0..100_000 {
        let now = Instant::now();
        if now < prev {
            back += 1;
        }
        prev = now;
    }
    check(back == 0, "Instant never goes back over 100000 reads");

    let t0 = Instant::now();
    let s0 = SystemTime::now();
    thread::sleep(Duration::from_millis(50));
    let slept = t0.elapsed();
    let s1 = SystemTime::now();
    check(slept >= Duration::from_millis(50), "sleep(50 ms) took >= 50 ms");
    check(slept < Duration::from_secs(5), "sleep(50 ms) took < 5 s");
    thread::sleep(Duration::ZERO);
    check(true, "sleep(0) returns");

    let since = s0.duration_since(UNIX_EPOCH).expect("after epoch");
    check(since.as_secs() > 1_577_836_800, "SystemTime after 2020-01-01");
    check(since.as_secs() < 4_102_444_800, "SystemTime before 2100-01-01");
    let sys_step = s1.duration_since(s0).unwrap_or_default();
    check(
        sys_step + Duration::from_millis(100) > slept && sys_step < slept + Duration::from_millis(100),
        "SystemTime advanced like Instant across the sleep",
    );

    let later = t0 + Duration::from_secs(1);
    check(later > t0 && later.duration_since(t0) == Duration::from_secs(1), "Instant arithmetic");
    check(t0.checked_duration_since(later).is_none(), "checked_duration_since earlier is None");
    let fixed = UNIX_EPOCH + Duration::new(1_600_000_000, 123_456_789);
    check(
        fixed.duration_since(UNIX_EPOCH).ok() == Some(Duration::new(1_600_000_000, 123_456_789)),
        "SystemTime arithmetic is exact to the nanosecond",
    );
    check(start.elapsed() >= slept, "elapsed is cumulative");

    println!("time: {}", if failed == 0 { "all ok" } else { "FAILED" });
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
