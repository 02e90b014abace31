//! structsort: builds N * 100,000 records (default N=6; smoke: 1 means 10,000) of
//! `{ key: u32, name: String, score: f64, id: u64 }`, sorts them by
//! (key, name) with the stable `sort_by` and by (key, name, generation order)
//! with `sort_unstable_by`, dedups by (key, name) keeping the best score, and
//! groups the survivors into a `BTreeMap<u32, Vec<..>>`.
//! Checks: both sorts give the same order and it is non-decreasing; the
//! stable sort keeps the generation order of equal elements; the number of
//! dedup survivors equals the size of a `HashSet` of (key, name); the total
//! of kept scores equals a `HashMap`-based maximum per (key, name).
//! Prints "ok <survivors> <checksum>".
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Clone, Debug)]
struct Rec {
    key: u32,
    name: String,
    score: f64,
    id: u64,
    seq: usize,
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

fn fail(msg: String) -> ! {
    println!("FAIL {}", msg);
    std::process::exit(1)
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(6).max(1);
    let count = if n <= 1 { 10_000 } else { n * 100_000 };
    let mut rng = Lcg(99);
    let letters = b"abcdefghijklmnopqrstuvwxyz";
    let mut recs: Vec<Rec> = (0..count)
        .map(|seq| {
            let key = rng.next() % (count as u32 / 4 + 1);
            let len = 1 + rng.next() as usize % 3;
            let name: String = (0..len).map(|_| letters[rng.next() as usize % 4] as char).collect();
            let score = (rng.next() % 1_000_000) as f64 / 8.0;
            let id = (rng.next() as u64) << 16 | (seq as u64 & 0xFFFF);
            Rec { key, name, score, id: id % 7, seq }
        })
        .collect();

    let mut a = recs.clone();
    a.sort_by(|x, y| x.key.cmp(&y.key).then_with(|| x.name.cmp(&y.name)));
    recs.sort_unstable_by(|x, y| {
        x.key.cmp(&y.key).then_with(|| x.name.cmp(&y.name)).then_with(|| x.seq.cmp(&y.seq))
    });
    for (i, (x, y)) in a.iter().zip(recs.iter()).enumerate() {
        if x.seq != y.seq {
            fail(format!("stable and unstable sort differ at {}: {:?} vs {:?}", i, x, y));
        }
    }
    for w in a.windows(2) {
        let ord = w[0].key.cmp(&w[1].key).then_with(|| w[0].name.cmp(&w[1].name));
        if ord == std::cmp::Ordering::Greater || (ord == std::cmp::Ordering::Equal && w[0].seq > w[1].seq) {
            fail(format!("not sorted / not stable: {:?} {:?}", w[0], w[1]));
        }
    }

    // dedup by (key, name), keeping the maximum score of each run
    let mut best: Vec<Rec> = Vec::new();
    for r in a.into_iter() {
        match best.last_mut() {
            Some(last) if last.key == r.key && last.name == r.name => {
                if r.score > last.score {
                    *last = r;
                }
            }
            _ => best.push(r),
        }
    }
    let set: HashSet<(u32, &str)> = recs.iter().map(|r| (r.key, r.name.as_str())).collect();
    if set.len() != best.len() {
        fail(format!("dedup kept {}, distinct (key, name) {}", best.len(), set.len()));
    }
    let mut maxes: HashMap<(u32, &str), f64> = HashMap::new();
    for r in recs.iter() {
        let e = maxes.entry((r.key, r.name.as_str())).or_insert(f64::MIN);
        if r.score > *e {
            *e = r.score;
        }
    }
    let total_a: f64 = best.iter().map(|r| r.score).sum();
    let mut total_b: f64 = 0.0;
    for r in best.iter() {
        total_b += maxes[&(r.key, r.name.as_str())];
    }
    if total_a != total_b {
        fail(format!("score totals differ: {} vs {}", total_a, total_b));
    }
    let mut groups: BTreeMap<u32, Vec<&Rec>> = BTreeMap::new();
    for r in best.iter() {
        groups.entry(r.key).or_default().push(r);
    }
    let mut h: u64 = 1469598103934665603;
    for (k, v) in groups.iter() {
        h = (h ^ *k as u64).wrapping_mul(1099511628211);
        h = (h ^ v.len() as u64).wrapping_mul(1099511628211);
        h = (h ^ v[0].id).wrapping_mul(1099511628211);
    }
    println!("ok {} {:016x} {}", best.len(), h, total_a);
}
