//! The population readers on arbitrary input: a mapping file, a CSV table
//! and JSON Lines rows under it, and export files of every kind joined into
//! contexts. Reading never panics, and every context a reader writes is one
//! the context reader accepts (a table row that reads is a valid context).
#![no_main]

use libfuzzer_sys::fuzz_target;
use zt_eval::population::exports::{self, AccessUser, DeviceItem, Registration};
use zt_eval::population::table::Mapping;
use zt_eval::population::{Exports, From, assemble};

const MAPPING: &str = r#"{"columns": {"email": "identity.email", "groups": {"path": "identity.groups[].name", "split": ";"},
  "dept": "identity.saml_attributes.department", "warp": "device.facts.warp", "ip": "request.ip", "port": "request.destination.port"}}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The text as a mapping file.
    if let Ok(v) = zt_eval::json::parse(text) {
        let _ = Mapping::from_json(&v);
        // ... and as every export.
        let users = exports::items::<AccessUser>(&v).unwrap_or_default();
        let devices = exports::items::<DeviceItem>(&v).unwrap_or_default();
        let registrations = exports::items::<Registration>(&v).unwrap_or_default();
        let _ = exports::devices_kind(&v);
        let e = Exports {
            users: vec![From { source: "u".into(), items: users }],
            records: vec![("r".into(), v.clone())],
            devices: vec![From { source: "d".into(), items: devices }],
            registrations: vec![From { source: "g".into(), items: registrations }],
            scim: None,
        };
        for ctx in assemble(&e).contexts {
            assert!(
                zt_eval::subject::Subject::from_json(&ctx).is_ok(),
                "population wrote a context the reader refuses: {ctx}"
            );
        }
    }
    // The text as a table under a fixed mapping.
    let Ok(m) = zt_eval::json::parse(MAPPING).map_err(|_| ()).and_then(|v| Mapping::from_json(&v).map_err(|_| ())) else {
        return;
    };
    for row in m.csv(text).unwrap_or_default().into_iter().flatten() {
        assert!(zt_eval::subject::Subject::from_json(&row).is_ok());
    }
    let mut each = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let row = m.json_line(i as u64 + 1, line);
        if let Ok(row) = &row {
            assert!(zt_eval::subject::Subject::from_json(row).is_ok());
        }
        if !line.trim().is_empty() {
            each.push(row);
        }
    }
    // The whole text as JSON Lines reads each line once: to the same rows,
    // in order, as line by line.
    if let Ok(rows) = m.json_lines(text) {
        assert_eq!(rows.len(), each.len());
        for (a, b) in rows.iter().zip(&each) {
            assert_eq!(a.as_ref().ok(), b.as_ref().ok());
            assert_eq!(a.as_ref().err().map(|e| &e.message), b.as_ref().err().map(|e| &e.message));
        }
    }
});
