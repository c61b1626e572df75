//! A stable stand-in for a fuzzing session of the `lang` target: every
//! seed program of `fuzz/corpus/lang` mutated many times (ranges deleted,
//! duplicated and swapped, language fragments spliced in, cut short) by a
//! seeded generator, each mutant through the target. A panic names the
//! mutant.

use std::path::Path;

use asterism::fuzz_support::lang_target;

const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "${",
    "}",
    "->",
    "=>",
    "??",
    " when ",
    " and ",
    " or ",
    " not ",
    "if (",
    " else ",
    "branch {",
    "otherwise -> ",
    " with retry: 3",
    ", timeout: 3s",
    "throttle: 10/1s",
    "@example(",
    "in x: ",
    "out ",
    "type T = ",
    "use stdlib as s\n",
    "\n",
    "+",
    "-",
    "*",
    "/",
    "==",
    "!=",
    "<",
    ">=",
    ".",
    ",",
    ":",
    "0",
    "-1",
    "1.5",
    "true",
    "99999999999999999999",
    "List<",
    "Optional<Int>",
    "x",
    "s.add(",
    "concat(",
    "\\",
    "#",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = v.len();
        let (a, b) = {
            let a = rng.below(len + 1);
            let b = (a + rng.below(24)).min(len);
            (a, b)
        };
        match rng.below(5) {
            0 => {
                v.drain(a..b);
            }
            1 => {
                let piece: Vec<u8> = v[a..b].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, piece);
            }
            2 => {
                let f = FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes();
                v.splice(a..a, f.iter().copied());
            }
            3 => v.truncate(a),
            _ => {
                if len > 0 {
                    let i = rng.below(len);
                    v[i] = FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes()[0];
                }
            }
        }
    }
    v
}

#[test]
fn mutated_programs_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/lang");
    let mut seeds: Vec<_> = std::fs::read_dir(&dir)
        .expect("the lang corpus")
        .map(|e| e.expect("an entry").path())
        .collect();
    seeds.sort();
    assert!(seeds.len() > 20);
    // ASTERISM_MUTATIONS=N runs N mutants per seed (a longer session).
    let per_seed = std::env::var("ASTERISM_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 60 } else { 600 });
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for path in &seeds {
        let seed = std::fs::read(path).expect("readable");
        for i in 0..per_seed {
            let mutant = mutate(&seed, &mut rng);
            let outcome = std::panic::catch_unwind(|| lang_target(&mutant));
            if let Err(panic) = outcome {
                eprintln!(
                    "mutant {i} of {} panicked:\n{}",
                    path.display(),
                    String::from_utf8_lossy(&mutant)
                );
                std::panic::resume_unwind(panic);
            }
        }
    }
}
