//! wordcount: generates N * 100,000 words of text (default N=30; smoke: 1)
//! from a Zipf-like vocabulary of generated words, splits it into words and
//! counts them with a `HashMap<&str, u32>`, then reports the 10 most frequent.
//! Checks: the counts equal those of a second method (sort the words and
//! count runs), the total equals the number of words generated, and the
//! counts per word equal those recorded while generating.
//! Prints "ok <distinct words> <top word>:<count>".
use std::collections::HashMap;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(30).max(1);
    let nwords = n * 100_000;
    let mut rng = Lcg(2024);
    let syll = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "ve", "zu", "an", "or", "el", "qu"];
    let vocab: Vec<String> = (0..5000)
        .map(|i| {
            let mut s = String::new();
            let mut k = i + 1;
            while k > 0 {
                s.push_str(syll[k % syll.len()]);
                k /= syll.len();
            }
            s
        })
        .collect();
    let mut gen_counts = vec![0u32; vocab.len()];
    let mut text = String::with_capacity(nwords * 8);
    for i in 0..nwords {
        // Zipf-ish: pick a rank with probability ~1/rank by squaring a uniform.
        let u = (rng.next() % 70_000) as u64;
        let idx = ((u * u) / (70_000 * 70_000 / vocab.len() as u64)) as usize % vocab.len();
        gen_counts[idx] += 1;
        text.push_str(&vocab[idx]);
        text.push(match i % 13 { 0 => '\n', 5 => ',', _ => ' ' });
        if i % 13 == 5 { text.push(' '); }
    }

    let mut counts: HashMap<&str, u32> = HashMap::new();
    let mut total = 0usize;
    for w in text.split(|c: char| c == ' ' || c == '\n' || c == ',').filter(|w| !w.is_empty()) {
        *counts.entry(w).or_insert(0) += 1;
        total += 1;
    }
    if total != nwords {
        println!("FAIL counted {} words, generated {}", total, nwords);
        std::process::exit(1);
    }
    // second method: sort + run lengths
    let mut words: Vec<&str> = text.split_ascii_whitespace().map(|w| w.trim_end_matches(',')).collect();
    words.sort_unstable();
    let mut runs = 0usize;
    let mut i = 0;
    while i < words.len() {
        let mut j = i;
        while j < words.len() && words[j] == words[i] { j += 1; }
        if counts.get(words[i]).copied() != Some((j - i) as u32) {
            println!("FAIL count of {:?}: map {:?}, sort {}", words[i], counts.get(words[i]), j - i);
            std::process::exit(1);
        }
        runs += 1;
        i = j;
    }
    if runs != counts.len() {
        println!("FAIL distinct words: map {}, sort {}", counts.len(), runs);
        std::process::exit(1);
    }
    for (idx, &c) in gen_counts.iter().enumerate() {
        if c > 0 && counts.get(vocab[idx].as_str()).copied() != Some(c) {
            println!("FAIL generated count of {} differs", vocab[idx]);
            std::process::exit(1);
        }
    }
    let mut top: Vec<(&str, u32)> = counts.iter().map(|(k, v)| (*k, *v)).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    println!("ok {} {}:{}", counts.len(), top[0].0, top[0].1);
}
