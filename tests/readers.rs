//! The two context readers agree on structural mutations of real contexts.
//! The batch reader (text straight into `Subject`) and the strict one
//! (`eval`: a JSON tree checked against the context's shape) must accept the
//! same contexts and read them alike. Byte-level fuzzing (target `context`)
//! did not find that serde's derive read `"os": ["mac", "14.0"]` by position
//! (five minutes with a dictionary of the context's keys); these mutations
//! of sampled contexts do, every time: each object replaced by the array of
//! its values, by an empty array, by `null`, and each value by `null`, by a
//! number and by an empty object.

use serde_json::{Map, Value, json};
use zt_eval::{Engine, Subject};

/// Every value of `v`, with the path to it (keys and indices).
fn paths(v: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                at.push(Step::Key(k.clone()));
                paths(x, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(Step::Index(i));
                paths(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn at_mut<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, s| match s {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// The replacements tried at one value.
fn replacements(v: &Value) -> Vec<Value> {
    let mut out = vec![Value::Null, json!(7), Value::Object(Map::new())];
    if let Value::Object(m) = v {
        out.push(Value::Array(m.values().cloned().collect()));
        out.push(json!([]));
    }
    out
}

fn agree(text: &str) -> Result<(), String> {
    let fast = Subject::from_text(text);
    let strict = Subject::from_text_strict(text);
    match (&fast, &strict) {
        (Ok(f), Ok(s)) if format!("{f:?}") != format!("{s:?}") => {
            Err(format!("`{text}`: batch and eval read different contexts"))
        }
        (Ok(_), Err(e)) => Err(format!("`{text}`: batch accepts, eval says {e}")),
        (Err(e), Ok(_)) => Err(format!("`{text}`: eval accepts, batch says {e}")),
        _ => Ok(()),
    }
}

#[test]
fn batch_and_eval_readers_agree_on_structural_mutations() -> Result<(), String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/examples/acme");
    let engine = Engine::from_path(&dir).map_err(|e| e.to_string())?;
    let mut tried = 0;
    for context in zt_eval::whatif::sample(engine.config(), 40, 11) {
        agree(&context.to_string())?;
        let mut all = Vec::new();
        paths(&context, &mut Vec::new(), &mut all);
        for path in all.iter().filter(|p| !p.is_empty()) {
            let Some(original) = at_mut(&mut context.clone(), path).map(|v| v.clone()) else {
                continue;
            };
            for replacement in replacements(&original) {
                let mut mutated = context.clone();
                if let Some(slot) = at_mut(&mut mutated, path) {
                    *slot = replacement;
                }
                agree(&mutated.to_string())?;
                tried += 1;
            }
        }
    }
    assert!(tried > 1000, "only {tried} mutations");
    Ok(())
}
