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
            match self
                .config
                .service_tokens
                .iter()
                .find(|t| t.client_id.as_deref() == Some(client.as_str()))
            {
                Some(t) => token.id = Some(t.id.clone()),
                None => token_unknown = Some(client),
            }
        }
        let groups_unknown = subject.unknown.iter().any(|p| p == "identity.groups");
        // Posture: given results win, then computed ones, else unknown.
        let names = Names::new(&self.config.posture_rules, &subject);
        let mut posture = names.given();
        let lists = &self.config.lists;
        let find = |id: &str| lists.iter().find(|l| l.id == id);
        // The unknown results some rule or profile reads: candidates for the
        // posture fields.
        let mut candidates = Vec::new();
        for (i, rule) in (0u32..).zip(&self.config.posture_rules) {
            let id = rule.id.as_str();
            let planned = self.posture_plans.get(i as usize);
            let check = match planned {
                Some(plan) => posture::evaluate_planned(rule, plan, &subject, &find, false),
                None => posture::evaluate(rule, &subject, &find, false),
            };
            match check.result {
                PostureResult::Passed if !names.contains(&posture.passed, id) => {
                    posture.passed.push(PostureId::Rule(i));
                }
                PostureResult::Failed if !names.contains(&posture.failed, id) => {
                    posture.failed.push(PostureId::Rule(i));
                }
                PostureResult::Unknown(_) => {
                    // A given result can be unknown (an identity record's
                    // stale one): it is then neither passed nor failed.
                    posture.passed.retain(|&x| names.of(x) != id);
                    posture.failed.retain(|&x| names.of(x) != id);
                    posture.unknown.push(i);
                    if self.inputs.posture_read.get(i as usize) == Some(&true) {
                        candidates.push(Value::Bytes(id.as_bytes().into()));
                    }
                }
                _ => {}
            }
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
