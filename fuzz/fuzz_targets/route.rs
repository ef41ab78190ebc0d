//! Which application protects a URL, on arbitrary destination URIs and
//! request URLs (wildcards, ports, escapes, dots, Unicode): reading them never
//! panics, and the engine's choice agrees with the reference's
//! (`zt_eval::oracle::access::protecting_url`).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::json;
use zt_eval::Engine;

/// Pieces a URI is made of, so that inputs cover each other often.
const PIECES: &[&str] = &[
    "example.com", "a.", "*.", "*", "test", "/", "/admin", "/a", "*/", "%61", "..", "//", ":8443",
    "?q=1", "#f", "EXAMPLE.COM", ".", "b", "xn--bcher-kva", "bücher", "https://", "-",
];

#[derive(Arbitrary, Debug)]
struct Case {
    apps: Vec<Vec<Vec<u8>>>,
    url: Vec<u8>,
    raw: Option<String>,
}

fn build(parts: &[u8]) -> String {
    parts
        .iter()
        .map(|&i| PIECES.get(usize::from(i) % PIECES.len()).copied().unwrap_or(""))
        .collect()
}

fuzz_target!(|c: Case| {
    let apps: Vec<_> = c
        .apps
        .iter()
        .take(6)
        .enumerate()
        .map(|(i, uris)| {
            let d: Vec<_> = uris
                .iter()
                .take(3)
                .map(|u| json!({"type": "public", "uri": build(u)}))
                .collect();
            json!({"id": format!("a{i}"), "name": format!("A{i}"), "destinations": d, "policies": []})
        })
        .collect();
    let text = json!({"access_applications": apps}).to_string();
    let url = c.raw.unwrap_or_else(|| build(&c.url));
    let _ = zt_eval::route::normalise(&url);
    let Ok(engine) = Engine::from_json(&text, "fuzz") else {
        return;
    };
    let Ok(u) = zt_eval::route::normalise(&url) else {
        return;
    };
    let mut scratch = engine.scratch();
    let Ok(d) = engine.decide(&json!({"request": {"url": url}}), &mut scratch, false) else {
        return;
    };
    let got = d
        .access
        .as_ref()
        .and_then(|a| a.protected.as_ref().ok())
        .map(|(app, _)| app.name.clone());
    let (config, _) = zt_eval::config::load_str(&text, "fuzz");
    let want = zt_eval::oracle::access::protecting_url(&config, &u.host, &u.path);
    assert_eq!(got, want, "config {text} url {url}");
});
