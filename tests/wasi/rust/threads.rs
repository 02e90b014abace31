//! wasi-threads (built for wasm32-wasip1-threads): std::thread on
//! `wasi::thread-spawn` and a shared memory. Four threads increment an
//! atomic counter and push to a Mutex'd vector; the main thread joins them
//! (std's join and Mutex park with memory.atomic.wait32/notify), passes
//! values over a channel, and checks a Condvar handshake and thread-local
//! storage. Everything printed is deterministic. (wasm panics abort, so
//! no thread panics here.)
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;

const THREADS: u32 = 4;
const EACH: u32 = 25_000;

thread_local! {
    static LOCAL: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn main() {
    let counter = Arc::new(AtomicU32::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let counter = counter.clone();
            let seen = seen.clone();
            thread::spawn(move || {
                for _ in 0..EACH {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                LOCAL.with(|l| l.set(i + 100));
                seen.lock().unwrap().push(i);
                LOCAL.with(|l| l.get())
            })
        })
        .collect();
    let locals: Vec<u32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    println!("counter: {}", counter.load(Ordering::Relaxed));
    println!("threads seen: {seen:?}");
    println!("thread locals: {locals:?}");
    println!("main's local untouched: {}", LOCAL.with(|l| l.get()));

    let (tx, rx) = mpsc::channel();
    let producers: Vec<_> = (0..3u64)
        .map(|i| {
            let tx = tx.clone();
            thread::spawn(move || {
                for j in 0..10 {
                    tx.send(i * 100 + j).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let sum: u64 = rx.iter().sum();
    producers.into_iter().for_each(|p| p.join().unwrap());
    println!("channel sum: {sum}");

    // A Condvar handshake: the main thread waits until the other has
    // flipped the flag.
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let other = pair.clone();
    let t = thread::spawn(move || {
        let (flag, cv) = &*other;
        *flag.lock().unwrap() = true;
        cv.notify_one();
    });
    let (flag, cv) = &*pair;
    let mut ready = flag.lock().unwrap();
    while !*ready {
        ready = cv.wait(ready).unwrap();
    }
    drop(ready);
    t.join().unwrap();
    println!("condvar: ok");

    println!("threads: all ok");
}
