//! The HTTP effect binding of `lexum serve`: `--effect NAME=http://HOST:PORT/PATH`
//! POSTs `{"call_id", "effect", "args"}` and reads the result as JSON. A
//! timeout, an unreachable server, a status other than 2xx or a result
//! that is not of the effect's type is an effect error, so the retry rules
//! apply. Like every binding's, its results are journaled before use.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::ir;
use crate::runtime::effects::{EffectError, Effects};
use crate::value::json::{from_json, to_json};
use crate::value::Value;

/// The most a result may be, in bytes.
pub const RESULT_LIMIT: u64 = 16 << 20;

pub struct HttpEffects {
    /// Effect name → URL.
    pub urls: BTreeMap<String, String>,
    /// For the effects no URL binds.
    pub fallback: Box<dyn Effects>,
    agent: ureq::Agent,
}

impl HttpEffects {
    pub fn new(
        urls: BTreeMap<String, String>,
        fallback: Box<dyn Effects>,
        timeout: Duration,
    ) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build()
            .into();
        HttpEffects {
            urls,
            fallback,
            agent,
        }
    }

    /// Whether a binding is a URL (the rest are commands).
    pub fn is_url(binding: &str) -> bool {
        binding.starts_with("http://") || binding.starts_with("https://")
    }

    fn post(
        &self,
        url: &str,
        call_id: u64,
        effect: &ir::Effect,
        args: &[Value],
    ) -> Result<Value, EffectError> {
        let name = || effect.name.clone();
        let body = json!({
            "call_id": call_id,
            "effect": effect.name,
            "args": args.iter().map(to_json).collect::<Vec<_>>(),
        });
        let mut reply = self
            .agent
            .post(url)
            .send_json(&body)
            .map_err(|e| EffectError::Http {
                effect: name(),
                error: e.to_string(),
            })?;
        let status = reply.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(EffectError::HttpStatus {
                effect: name(),
                status,
            });
        }
        let text = reply
            .body_mut()
            .with_config()
            .limit(RESULT_LIMIT)
            .read_to_string()
            .map_err(|e| EffectError::Http {
                effect: name(),
                error: e.to_string(),
            })?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|_| EffectError::NoJson { effect: name() })?;
        let v = from_json(&json).ok_or_else(|| EffectError::NotAValue { effect: name() })?;
        match (&v, &effect.ret) {
            (Value::Map(m), crate::types::Type::Set(_)) if m.is_empty() => {
                Ok(Value::set(im::OrdSet::new()))
            }
            _ if v.fits(&effect.ret) => Ok(v),
            _ => Err(EffectError::WrongType {
                effect: name(),
                value: v,
            }),
        }
    }
}

impl Effects for HttpEffects {
    fn call(
        &mut self,
        call_id: u64,
        effect: &ir::Effect,
        args: &[Value],
    ) -> Result<Value, EffectError> {
        match self.urls.get(&effect.name) {
            Some(url) => {
                let url = url.clone();
                self.post(&url, call_id, effect, args)
            }
            None => self.fallback.call(call_id, effect, args),
        }
    }
}
