//! stdin to stdout: reads stdin line by line (BufRead::lines, so "\n" and
//! "\r\n" both end a line), prints each line numbered, upper-cased, with its
//! words reversed and its char count; then totals. Run with rust/lines.in
//! piped in.
use std::io::{self, BufRead, Write};

fn main() {
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let (mut lines, mut words, mut chars, mut bytes) = (0usize, 0usize, 0usize, 0usize);
    for line in stdin.lock().lines() {
        let line = line.expect("stdin is UTF-8");
        lines += 1;
        let w: Vec<&str> = line.split_whitespace().collect();
        words += w.len();
        chars += line.chars().count();
        bytes += line.len();
        let reversed: Vec<&str> = w.iter().rev().copied().collect();
        writeln!(out, "{lines:3} [{:2}] {} | {}", line.chars().count(), line.to_uppercase(), reversed.join(" "))
            .expect("write stdout");
    }
    writeln!(out, "lines {lines}, words {words}, chars {chars}, bytes (without line ends) {bytes}").expect("write");
    out.flush().expect("flush");
    eprintln!("lines: done");
}
