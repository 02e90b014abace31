//! args, environment and exit status: prints the arguments after argv[0]
//! (argv[0] only checked to be non-empty), the whole environment sorted, a
//! few lookups (set, empty, unset, value containing '='), set_var/remove_var,
//! one line to stderr, then text without a newline and std::process::exit(5)
//! (which must still flush stdout).
use std::env;

fn main() {
    let args: Vec<String> = env::args().collect();
    println!("args: {}", args.len());
    println!("argv[0] non-empty: {}", !args[0].is_empty());
    for (i, a) in args.iter().enumerate().skip(1) {
        println!("argv[{i}] ({} bytes) = [{a}]", a.len());
    }
    let mut vars: Vec<(String, String)> = env::vars().collect();
    vars.sort();
    println!("vars: {}", vars.len());
    for (k, v) in &vars {
        println!("  {k}=[{v}]");
    }
    for key in ["WAOT_GREETING", "WAOT_EMPTY", "WAOT_EQUALS", "WAOT_SURELY_UNSET_VAR"] {
        match env::var(key) {
            Ok(v) => println!("var {key}: Ok([{v}])"),
            Err(e) => println!("var {key}: Err({e:?})"),
        }
    }
    env::set_var("WAOT_NEW", "fresh");
    println!("after set_var: {:?}", env::var("WAOT_NEW"));
    env::remove_var("WAOT_GREETING");
    println!("after remove_var: {:?}", env::var("WAOT_GREETING"));
    eprintln!("envexit: exiting with status 5");
    print!("exiting with 5 (no newline)");
    std::process::exit(5);
}
