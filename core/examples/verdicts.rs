//! Prints `vigil_core::incident::verify_bundle`'s verdict (the form of
//! tests/vectors/bundles/verdicts.json), for the reference examiner to be compared with
//! (tests/examiner/agree.py):
//!
//!     verdicts FILE...             `<verdict>  <file>` per file
//!     verdicts --flip MASK FILE    `<index> <verdict>` for the file with byte `index`
//!                                  XORed with MASK (decimal), for every index

use vigil_core::incident::verify_bundle;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let read = |p: &str| std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    if args.first().map(String::as_str) == Some("--flip") {
        let (Some(mask), Some(file)) = (args.get(1), args.get(2)) else {
            panic!("usage: verdicts --flip MASK FILE");
        };
        let mask: u8 = mask.parse().expect("mask 0..=255");
        let bytes = read(file);
        let mut out = String::with_capacity(bytes.len() * 24);
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= mask;
            out.push_str(&format!("{i} {}\n", verify_bundle(&b).verdict()));
        }
        print!("{out}");
    } else {
        for f in &args {
            println!("{}  {f}", verify_bundle(&read(f)).verdict());
        }
    }
}
