//! Context JSON -> `Prepared`: the subject read and normalised, posture results
//! given, computed or unknown, slots filled, and what the context leaves unknown
//! of what the configuration reads.

use super::compiled::Engine;
use crate::engine::posture::{self, PostureResult};
use crate::engine::posture_ids::{Names, PostureId, PostureIds};
use crate::program::{Extras, Unknowns};
use crate::subject::{ContextError, Subject};
use crate::value::{Context, Value};
use serde_json::Value as J;

/// `prepare_subject`'s marks on a posture rule: the context gives it passed,
/// gives it failed, and its result is unknown (the given ones are dropped).
const GIVEN_PASSED: u8 = 1;
const GIVEN_FAILED: u8 = 2;
const DROPPED: u8 = 4;

/// A context read and normalised for one configuration: slots and posture results.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Boxed: a kilobyte, moved with every `Prepared`.
    pub(super) subject: Box<Subject>,
    pub(super) ctx: Context,
    /// Posture results by reference (`posture_names` reads them).
    pub(super) posture: PostureIds,
    /// What the context leaves unknown of what the configuration reads: when
    /// there is any, the decision is three-valued (`undetermined.rs`); a context
    /// without it pays nothing for unknowns.
    pub(super) unknowns: Option<Box<Unknowns>>,
    pub(super) warnings: Vec<String>,
    /// An identity record without groups: IdP group rules are unknown.
    pub(super) groups_unknown: bool,
    /// An identity record's service-token Client ID that no
    /// `access_service_tokens` entry translates: token rules are unknown.
    pub(super) token_unknown: Option<String>,
}

impl Prepared {
    /// What the posture results refer to: `names.all(&self.posture.passed)`.
    pub(super) fn posture_names<'a>(&'a self, engine: &'a Engine) -> Names<'a> {
        Names::new(&engine.config.posture_rules, &self.subject)
    }
}

impl Engine {
    /// Reads a context (`context.md`) into slots and posture results: the part of a
    /// decision that depends only on the input.
    ///
    /// # Errors
    /// The context's first problem, with its JSON path.
    pub fn prepare(&self, json: &J) -> Result<Prepared, ContextError> {
        let (subject, warnings) = Subject::from_json(json)?;
        Ok(self.prepare_subject(Box::new(subject), warnings))
    }

    /// Like `prepare`, from JSON text.
    ///
    /// # Errors
    /// Malformed JSON or the context's first problem, with its JSON path.
    pub fn prepare_str(&self, text: &str) -> Result<Prepared, ContextError> {
        let (subject, warnings) = Subject::from_text_boxed(text)?;
        Ok(self.prepare_subject(subject, warnings))
    }

    fn prepare_subject(&self, mut subject: Box<Subject>, warnings: Vec<String>) -> Prepared {
        // A token named by its Client ID (an identity record's): the token id
        // rules name comes from `access_service_tokens` (context.md).
        let mut token_unknown = None;
        if let Some(token) = subject.request.service_token.as_mut()
            && token.id.is_none()
            && let Some(client) = token.client_id.clone()
        {
            let found = self.token_by_client.get(client.as_str());
            match found.and_then(|&i| self.config.service_tokens.get(i as usize)) {
                Some(t) => token.id = Some(t.id.clone()),
                None => token_unknown = Some(client),
            }
        }
        let groups_unknown = subject.unknown.iter().any(|p| p == "identity.groups");
        // Posture: given results win, then computed ones, else unknown.
        let names = Names::new(&self.config.posture_rules, &subject);
        let mut posture = names.given();
        // The rules the given results name, by index (bits: GIVEN_PASSED,
        // GIVEN_FAILED, then DROPPED when the rule's result is unknown):
        // each given result is looked up once, where a search of the results
        // for every rule cost rules x results (3,000 rules: 20 ms a context).
        // Rule ids are unique in an engine, so a rule's own id is in a list
        // only through a given result.
        let mut given_rules: Vec<u8> = Vec::new();
        if !posture.passed.is_empty() || !posture.failed.is_empty() {
            given_rules = vec![0; self.config.posture_rules.len()];
            for (list, bit) in [
                (&posture.passed, GIVEN_PASSED),
                (&posture.failed, GIVEN_FAILED),
            ] {
                for &x in list {
                    if let Some(state) = self
                        .posture_index
                        .get(names.of(x))
                        .and_then(|&r| given_rules.get_mut(r as usize))
                    {
                        *state |= bit;
                    }
                }
            }
        }
        let mut dropped = false;
        let find = |id: &str| self.list_ref(id);
        // The unknown results some rule or profile reads: candidates for the
        // posture fields.
        let mut candidates = Vec::new();
        for (i, rule) in (0u32..).zip(&self.config.posture_rules) {
            let id = rule.id.as_str();
            let given = given_rules.get_mut(i as usize);
            let state = given.as_ref().map_or(0, |s| **s);
            let named = posture::Given {
                passed: state & GIVEN_PASSED != 0,
                failed: state & GIVEN_FAILED != 0,
            };
            let planned = self.posture_plans.get(i as usize);
            let check = match planned {
                Some(plan) => posture::evaluate_planned(rule, plan, named, &subject, &find, false),
                None => posture::evaluate(rule, &subject, &find, false),
            };
            match check.result {
                PostureResult::Passed if state & GIVEN_PASSED == 0 => {
                    posture.passed.push(PostureId::Rule(i));
                }
                PostureResult::Failed if state & GIVEN_FAILED == 0 => {
                    posture.failed.push(PostureId::Rule(i));
                }
                PostureResult::Unknown(_) => {
                    // A given result can be unknown (an identity record's
                    // stale one): it is then neither passed nor failed,
                    // and taken out of the lists below.
                    if let Some(s) = given.filter(|s| **s != 0) {
                        *s |= DROPPED;
                        dropped = true;
                    }
                    posture.unknown.push(i);
                    if self.inputs.posture_read.get(i as usize) == Some(&true) {
                        candidates.push(Value::Bytes(id.as_bytes().into()));
                    }
                }
                _ => {}
            }
        }
        if dropped {
            let gone = |x: PostureId| {
                !matches!(x, PostureId::Rule(_))
                    && self
                        .posture_index
                        .get(names.of(x))
                        .and_then(|&r| given_rules.get(r as usize))
                        .is_some_and(|s| s & DROPPED != 0)
            };
            posture.passed.retain(|&x| !gone(x));
            posture.failed.retain(|&x| !gone(x));
        }
        let ctx = self.slots.context(
            &subject,
            names.all(&posture.passed),
            names.all(&posture.failed),
        );
        let record_unknown = (groups_unknown && !self.inputs.group_fields.is_empty())
            || (token_unknown.is_some() && !self.inputs.token_fields.is_empty());
        let unknowns =
            (self.inputs.always || !candidates.is_empty() || record_unknown).then(|| {
                let mut u = Unknowns::default();
                if groups_unknown {
                    for &f in &self.inputs.group_fields {
                        u.set(f, Extras::Any);
                    }
                }
                if token_unknown.is_some() {
                    for &f in &self.inputs.token_fields {
                        u.set(f, Extras::Any);
                    }
                }
                for field in self.inputs.posture_fields.into_iter().flatten() {
                    u.set(field, Extras::Values(candidates.clone()));
                }
                if let Some(field) = self.inputs.unknown_field {
                    u.set(field, Extras::Any);
                }
                Box::new(u)
            });
        Prepared {
            subject,
            ctx,
            posture,
            unknowns,
            warnings,
            groups_unknown,
            token_unknown,
        }
    }
}
