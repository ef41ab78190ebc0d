//! Arbitrary bytes as a configuration, both shapes: as a bundle, and split into
//! the files of a folder (kinds, pages, attached endpoints). Loading and
//! building must return (errors are fine) and never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zt_eval::Engine;
use zt_eval::config::{ATTACHED, KINDS, LoadOptions, load_path_with, load_str};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (config, problems) = load_str(text, "fuzz.json");
    let _ = Engine::from_config(config, problems);
    // A folder: the text split at NUL bytes, each part a file named after a
    // kind (or a page of a kind, or an attached endpoint), in turn.
    let Ok(dir) = tempfile::tempdir() else { return };
    let names: Vec<String> = KINDS
        .iter()
        .map(|k| format!("{k}.json"))
        .chain(KINDS.iter().map(|k| format!("{k}/page1.json")))
        .chain(ATTACHED.iter().map(|k| format!("{k}/x.json")))
        .collect();
    for (i, part) in text.split('\0').enumerate().take(8) {
        let Some(name) = names.get((part.len() + i * 7) % names.len()) else {
            continue;
        };
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::write(&path, part);
    }
    let (config, problems) = load_path_with(
        dir.path(),
        &LoadOptions {
            max_file_bytes: 1 << 20,
        },
    );
    let _ = Engine::from_config(config, problems);
});
