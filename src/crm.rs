//! The caller lookup: who is calling, and which manager should take the call, looked up in
//! ELMA365's CRM. Both providers use it: Rostelecom's `get_number_info` and Oktell's scenario lookup.
//!
//! 1. The answer for a number may be cached: [`CACHE_SLOTS`] fixed slots `crm:n:<provider>:<n>` of at most
//!    [`CACHE_ENTRIES`] lines each, so a returning caller costs one storage read and no search.
//! 2. Else the contacts app (`crmContacts`), then the companies app (`crmCompanies`), is searched
//!    through the host ([`Host::crm`]) for the forms a number is commonly stored in ([`forms`]),
//!    in one search per app; each hit is confirmed by its canonical number, deleted items never
//!    count. Several hits: a contact before a company; then one with a responsible user; then the
//!    smallest `__id`, so the same data always gives the same answer.
//! 3. The item's responsible user (`crmResponsibleField`; a blocked user is skipped) is mapped to
//!    a PBX member: ELMA365's own «Настроить» mapping through the Web API (`elmaApiToken`), else
//!    the PBX user with the user's e-mail, else the one whose number is the user's work phone or
//!    its extension ([`Directory`]). The mapping is cached per user in [`MAP_SLOTS`] slots `crm:u:<provider>:<n>`.
//!
//! All of it runs under the `crmLookupMs` budget ([`within`]): what is not known when it runs out
//! is left out. A failure never fails the webhook: it leaves a trace under [`TRACE_KEY`] that
//! «Проверить соединение» reads ([`probe`]).

use crate::callstore::{fnv, MAX_VALUE_CHARS};
use crate::error::VoipError;
use crate::fields::field;
use crate::health::WEBHOOK_URL_KEY;
use crate::host::{self, Host};
use crate::http::{snippet, HttpRequest, Outcome};
use crate::i18n::{crm as m, t, Text};
use crate::json::obj;
use crate::phone;
use crate::settings::{is_uuid, Settings};
use serde_json::Value;
use std::cell::RefCell;
use std::future::Future;
use std::task::Poll;

/// The last lookup that did not come from the cache: `<ms>` when it went well, else `<ms> ! <why>`.
pub const TRACE_KEY: &str = "voip:crm";
/// How many slots the per-number answers are spread over.
pub const CACHE_SLOTS: u32 = 32;
/// Answers kept in one slot (the oldest goes first).
pub const CACHE_ENTRIES: usize = 12;
/// How long a found caller is answered from the cache.
pub const FOUND_TTL_MS: f64 = 10.0 * 60_000.0;
/// How long an unknown number is answered from the cache.
pub const UNKNOWN_TTL_MS: f64 = 3.0 * 60_000.0;
/// How many slots the user → member mapping is spread over.
pub const MAP_SLOTS: u32 = 16;
/// Users kept in one mapping slot.
pub const MAP_ENTRIES: usize = 16;
/// How long a user's member is taken from the cache.
pub const MAP_TTL_MS: f64 = 10.0 * 60_000.0;
/// The longest name kept (a handset shows less, see [`display_name`]).
pub const MAX_NAME_CHARS: usize = 64;
/// The apps searched, in order.
pub const APPS: [&str; 2] = ["crmContacts", "crmCompanies"];
/// At most this many items are asked of one search.
pub const SEARCH_SIZE: u32 = 20;

/// What the lookup found: the client's name, and the manager's member id and number (empty when
/// unknown).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// The item's `__name`.
    pub name: String,
    /// The responsible manager's PBX member id (Rostelecom PIN, Oktell login), or empty.
    pub member: String,
    /// That member's number in the PBX directory, or empty.
    pub number: String,
}

/// A PBX user as the manager mapping sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Staff {
    /// The member id (what `VoipGetMembers` gives).
    pub id: String,
    /// The user's e-mail, or empty.
    pub email: String,
    /// The user's number or extension, or empty.
    pub number: String,
}

pub use crate::host::Boxed;

/// The PBX's users, for mapping a manager to a member: each provider has one.
pub trait Directory {
    /// The PBX's users; an error says why they could not be read.
    fn staff(&self) -> Boxed<'_, Result<Vec<Staff>, VoipError>>;
}

/// Awaits `work` for at most `ms` milliseconds of the host's timer: `None` when the time ran out
/// first. On a host without a timer (its `sleep` returns at once, `false`) there is no bound.
pub async fn within<H: Host, F: Future>(host: &H, ms: u32, work: F) -> Option<F::Output> {
    let mut work = std::pin::pin!(work);
    let mut timer = std::pin::pin!(host.sleep(ms));
    let mut timer_gone = false;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if !timer_gone {
            if let Poll::Ready(waited) = timer.as_mut().poll(cx) {
                if waited {
                    return Poll::Ready(None);
                }
                timer_gone = true;
            }
        }
        Poll::Pending
    })
    .await
}

/// The forms a canonical external number is commonly stored in, most common first: `+7…`, `7…`,
/// `8…`, the national digits and the usual formatted ones. Empty for an internal number.
pub fn forms(number: &str, country_code: &str) -> Vec<String> {
    let Some(digits) = number.strip_prefix('+') else {
        return Vec::new();
    };
    let mut out = vec![number.to_string(), digits.to_string()];
    if let Some(national) = digits.strip_prefix(country_code).filter(|n| !n.is_empty()) {
        if country_code == "7" && national.len() == 10 {
            let (a, b, c, d) = (
                &national[..3],
                &national[3..6],
                &national[6..8],
                &national[8..],
            );
            out.push(format!("8{national}"));
            out.push(national.to_string());
            out.push(format!("+7 ({a}) {b}-{c}-{d}"));
            out.push(format!("8 ({a}) {b}-{c}-{d}"));
            out.push(format!("+7 {a} {b}-{c}-{d}"));
            out.push(format!("8 {a} {b}-{c}-{d}"));
        } else {
            out.push(national.to_string());
        }
    }
    out
}

/// ELMA365's address and the module's code for the Web API: the settings, else what the webhook
/// URL shows (its origin; `ext_<uuid>` or a UUID in its path).
pub fn elma_target(s: &Settings, hook: Option<&str>) -> Result<(String, String), VoipError> {
    let hook = hook.unwrap_or("").trim();
    let base = match &s.crm.elma_url {
        Some(url) => url.clone(),
        None => {
            let rest = hook
                .strip_prefix("https://")
                .map(|r| ("https://", r))
                .or_else(|| hook.strip_prefix("http://").map(|r| ("http://", r)));
            match rest {
                Some((scheme, r)) if !r.is_empty() => {
                    let end = r.find(['/', '?', '#']).unwrap_or(r.len());
                    format!("{scheme}{}", &r[..end])
                }
                _ => return Err(VoipError::setting("elmaUrl", t!(m::NEED_URL))),
            }
        }
    };
    let module = match &s.crm.module_code {
        Some(code) => code.clone(),
        None => {
            let bytes = hook.as_bytes();
            let uuid = (0..bytes.len().saturating_sub(35))
                .map(|i| &bytes[i..i + 36])
                .find(|w| std::str::from_utf8(w).is_ok_and(is_uuid));
            match uuid {
                Some(u) => format!("ext_{}", String::from_utf8_lossy(u).to_ascii_lowercase()),
                None => {
                    return Err(VoipError::setting(
                        "elmaModuleCode",
                        t!(m::NEED_MODULE, field("elmaUrl")),
                    ))
                }
            }
        }
    };
    Ok((base, module))
}

/// One CRM item as the shim hands it over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Item {
    id: String,
    name: String,
    phones: Vec<String>,
    deleted: bool,
    user: Option<String>,
}

fn text_of(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Asks the host a CRM question; `Err` when the host adapter failed or answered nonsense.
async fn ask<H: Host>(host: &H, request: &Value) -> Result<Value, VoipError> {
    let text = host
        .crm(&crate::json::to_string(request))
        .await
        .map_err(|e| VoipError::module(t!(m::HOST_FAILED, e)))?;
    crate::json::parse(&text).map_err(|e| VoipError::module(t!(m::HOST_FAILED, e)))
}

/// Searches the app field `app` for items whose phone is one of `values`: `None` when the field is
/// not bound to an app (the admin did not configure it).
async fn search<H: Host>(
    host: &H,
    s: &Settings,
    app: &'static str,
    values: &[String],
    user: Option<&str>,
) -> Result<Option<Vec<Item>>, VoipError> {
    let mut request = obj(vec![
        ("op", "search".into()),
        ("app", app.into()),
        ("phone", s.crm.phone_field.as_str().into()),
        ("values", values.iter().map(String::as_str).collect()),
        ("size", SEARCH_SIZE.into()),
    ]);
    if let Some(r) = user {
        request["user"] = r.into();
    }
    let answer = ask(host, &request).await?;
    if answer.get("unbound").is_some() {
        return Ok(None);
    }
    if let Some(code) = answer.get("error").and_then(Value::as_str) {
        let detail = snippet(&text_of(&answer, "detail"), 200);
        return Err(match code {
            "notApp" => VoipError::setting(app, t!(m::NOT_APP, detail)),
            "noField" => {
                let name = text_of(&answer, "field");
                let setting = if Some(name.as_str()) == user {
                    "crmResponsibleField"
                } else {
                    "crmPhoneField"
                };
                VoipError::setting(setting, t!(m::NO_FIELD, snippet(&name, 64), field(app)))
            }
            _ => VoipError::setting(app, t!(m::SEARCH_FAILED, detail)),
        });
    }
    let items = answer.get("items").and_then(Value::as_array);
    let items = items.map_or(&[][..], Vec::as_slice);
    Ok(Some(
        items
            .iter()
            .map(|v| Item {
                id: text_of(v, "id"),
                name: snippet(&clean(&text_of(v, "name")), MAX_NAME_CHARS),
                phones: v
                    .get("phones")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                deleted: v.get("deleted") == Some(&Value::Bool(true)),
                user: Some(text_of(v, "user")).filter(|u| !u.is_empty()),
            })
            .collect(),
    ))
}

/// A name as one line of text: control characters become spaces, runs of spaces one.
fn clean(name: &str) -> String {
    name.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The hit that names the caller among `items`: not deleted, holding `number` once normalised;
/// one with a responsible user first, then the smallest id.
fn pick(items: Vec<Item>, number: &str, cc: &str) -> Option<Item> {
    items
        .into_iter()
        .filter(|i| !i.deleted && !i.name.is_empty())
        .filter(|i| i.phones.iter().any(|p| phone::canonical(p, cc) == number))
        .min_by(|a, b| (a.user.is_none(), &a.id).cmp(&(b.user.is_none(), &b.id)))
}

/// A user as the shim hands it over.
#[derive(Clone, Debug, Default)]
struct User {
    id: String,
    email: String,
    tel: String,
    ext: String,
    blocked: bool,
}

async fn user<H: Host>(host: &H, reference: &str) -> Result<User, VoipError> {
    let answer = ask(
        host,
        &obj(vec![("op", "user".into()), ("ref", reference.into())]),
    )
    .await?;
    match answer.get("user") {
        Some(u) if u.is_object() => Ok(User {
            id: text_of(u, "id"),
            email: text_of(u, "email"),
            tel: text_of(u, "tel"),
            ext: text_of(u, "ext"),
            blocked: u.get("blocked") == Some(&Value::Bool(true)),
        }),
        _ => Err(VoipError::setting(
            "crmResponsibleField",
            t!(m::USER_FAILED, snippet(&text_of(&answer, "detail"), 200)),
        )),
    }
}

/// The bindings request: `GET <elma>/pub/v1/integration/<module>/voip/bindings` with the token.
pub fn bindings_request(s: &Settings, base: &str, module: &str, token: &str) -> HttpRequest {
    let mut r = HttpRequest::get(
        format!("{base}/pub/v1/integration/{module}/voip/bindings"),
        s.timeout_sec,
        "elmaUrl",
    )
    .header("Authorization", format!("Bearer {token}"));
    r.timeout_ms = r.timeout_ms.min(s.crm.budget_ms.max(1000));
    r
}

fn api_target(base: &str) -> Text {
    t!(m::API_TARGET, base)
}

/// ELMA365's «Настроить» mapping, `(extension, userId)` pairs, through the Web API; `None` when no
/// token is set. The stored webhook URL is read only when the settings do not give the address.
pub async fn bindings<H: Host>(
    host: &H,
    s: &Settings,
) -> Result<Option<Vec<(String, String)>>, VoipError> {
    let Some(token) = &s.crm.api_token else {
        return Ok(None);
    };
    let mut hook = None;
    if s.crm.elma_url.is_none() || s.crm.module_code.is_none() {
        let key = [WEBHOOK_URL_KEY.to_string()];
        let stored = host::read(host, &key).await.ok();
        hook = stored.and_then(|st| st.get(WEBHOOK_URL_KEY).map(str::to_string));
    }
    let (base, module) = elma_target(s, hook.as_deref())?;
    let outcome = host::fetch(host, &bindings_request(s, &base, &module, token)).await?;
    let resp = match outcome {
        Outcome::Response(r) => r,
        Outcome::Failure(f) => {
            return Err(VoipError::from_failure(
                &f,
                &api_target(&base),
                "elmaUrl",
                s.timeout_sec,
            ))
        }
    };
    if resp.status == 401 || resp.status == 403 {
        return Err(crate::error::Kind::AuthRejected {
            target: api_target(&base),
            settings: t!(m::RAW, field("elmaApiToken")),
            detail: resp.status_text(),
        }
        .into());
    }
    let list = resp
        .json()
        .filter(|_| resp.status == 200)
        .and_then(|v| v.get("bindings").and_then(Value::as_array).cloned());
    let Some(list) = list else {
        return Err(crate::error::Kind::NotPbx {
            target: api_target(&base),
            setting: "elmaModuleCode",
            detail: t!(m::BINDINGS_BAD, resp.status_text(), resp.snippet(80)),
        }
        .into());
    };
    Ok(Some(
        list.iter()
            .map(|b| (text_of(b, "extension"), text_of(b, "userId")))
            .filter(|(e, u)| !e.is_empty() && !u.is_empty())
            .collect(),
    ))
}

/// Whether a directory entry is this user: the same e-mail, or the work phone's extension or
/// number.
fn same_person(st: &Staff, u: &User, cc: &str) -> bool {
    if !u.email.is_empty() && st.email.eq_ignore_ascii_case(&u.email) {
        return true;
    }
    let n = st.number.trim();
    if n.is_empty() {
        return false;
    }
    n == u.ext || n == u.tel || {
        let a = phone::canonical(n, cc);
        !u.tel.is_empty() && a.starts_with('+') && a == phone::canonical(&u.tel, cc)
    }
}

/// The provider's part of the cache keys: a member id means something else to each PBX, so an
/// answer cached for one is never read for the other (after the admin switches `provider`).
fn tag(s: &Settings) -> &'static str {
    match s.provider {
        crate::settings::Provider::Oktell => "ok",
        crate::settings::Provider::Rostelecom => "rt",
    }
}

/// The cache slot `crm:<kind>:<provider>:<n>` that `text` falls into among `slots`, and what it
/// holds (nothing when the read fails: a cache miss).
async fn read_slot<H: Host>(
    host: &H,
    s: &Settings,
    kind: &str,
    text: &str,
    slots: u32,
) -> (String, Option<String>) {
    let key = format!("crm:{kind}:{}:{}", tag(s), fnv(text) % slots);
    let stored = host::read(host, std::slice::from_ref(&key)).await.ok();
    let old = stored.and_then(|st| st.get(&key).map(str::to_string));
    (key, old)
}

/// A slot's lines whose first word is not `key`, newest last; with `line` added at the end and the
/// oldest dropped beyond `max` (and beyond the value limit).
fn slot_with(old: Option<&str>, key: &str, line: String, max: usize) -> String {
    let mut lines: Vec<&str> = old
        .unwrap_or("")
        .lines()
        .filter(|l| l.split(' ').next() != Some(key) && !l.is_empty())
        .collect();
    lines.push(&line);
    while lines.len() > max || lines.iter().map(|l| l.len() + 1).sum::<usize>() > MAX_VALUE_CHARS {
        lines.remove(0);
    }
    lines.join("\n")
}

/// The line of `key` in a slot, as its words after the key: `None` when absent or expired.
fn slot_line<'a>(
    text: Option<&'a str>,
    key: &str,
    now: u64,
    ttl: &dyn Fn(&str) -> f64,
) -> Option<Vec<&'a str>> {
    let line = text?.lines().find(|l| l.split(' ').next() == Some(key))?;
    let words: Vec<&str> = line.splitn(6, ' ').skip(1).collect();
    let at: u64 = words.first()?.parse().ok()?;
    let fresh = now >= at && ((now - at) as f64) < ttl(words.get(1).copied().unwrap_or(""));
    fresh.then_some(words)
}

fn word(s: &str) -> &str {
    if s.is_empty() || s.contains(char::is_whitespace) {
        "-"
    } else {
        s
    }
}

fn unword(s: &str) -> String {
    if s == "-" {
        String::new()
    } else {
        s.to_string()
    }
}

/// The manager of a hit as a member id and number, or `None` (blocked, not mapped).
async fn manager<H: Host>(
    host: &H,
    s: &Settings,
    dir: &dyn Directory,
    reference: &str,
) -> Result<Option<(String, String)>, VoipError> {
    let u = user(host, reference).await?;
    if u.blocked || u.id.is_empty() {
        return Ok(None);
    }
    let (key, old) = read_slot(host, s, "u", &u.id, MAP_SLOTS).await;
    let now = host.now_ms() as u64;
    if let Some(w) = slot_line(old.as_deref(), &u.id, now, &|_| MAP_TTL_MS) {
        let member = unword(w.get(1).copied().unwrap_or("-"));
        let number = unword(w.get(2).copied().unwrap_or("-"));
        return Ok((!member.is_empty()).then_some((member, number)));
    }
    let bound = bindings(host, s).await?;
    let bound = bound
        .unwrap_or_default()
        .into_iter()
        .find(|(_, user)| user.eq_ignore_ascii_case(&u.id))
        .map(|(ext, _)| ext);
    // The directory confirms a binding (the member must be a user of this PBX) and gives the number.
    let staff = dir.staff().await;
    let found = match (&bound, &staff) {
        (Some(ext), Ok(list)) => list.iter().find(|st| &st.id == ext).cloned(),
        (Some(ext), Err(_)) => Some(Staff {
            id: ext.clone(),
            ..Staff::default()
        }),
        (None, Ok(list)) => list
            .iter()
            .find(|st| same_person(st, &u, &s.country_code))
            .cloned(),
        (None, Err(_)) => None,
    };
    if bound.is_none() {
        staff?;
    }
    let (member, number) = found.map_or((String::new(), String::new()), |st| (st.id, st.number));
    let line = format!("{} {now} {} {}", u.id, word(&member), word(&number));
    let _ = host::write(
        host,
        &[(
            key,
            Some(slot_with(old.as_deref(), &u.id, line, MAP_ENTRIES)),
        )],
    )
    .await;
    Ok((!member.is_empty()).then_some((member, number)))
}

/// Finds the caller `number` (canonical) in the CRM: from the cache, else by searching under the
/// `crmLookupMs` budget. `None` when nobody is found, nothing is configured, or the lookup failed
/// (its trace says why). Never fails: the PBX must be answered.
pub fn caller<'a, H: Host>(
    number: &'a str,
    s: &'a Settings,
    host: &'a H,
    dir: &'a dyn Directory,
) -> Boxed<'a, Option<Found>> {
    Box::pin(caller_unboxed(number, s, host, dir))
}

async fn caller_unboxed<H: Host>(
    number: &str,
    s: &Settings,
    host: &H,
    dir: &dyn Directory,
) -> Option<Found> {
    if !number.starts_with('+') {
        return None;
    }
    // A returning caller costs this one read.
    let (slot, old) = read_slot(host, s, "n", number, CACHE_SLOTS).await;
    let now = host.now_ms() as u64;
    let ttl = |state: &str| {
        if state == "0" {
            UNKNOWN_TTL_MS
        } else {
            FOUND_TTL_MS
        }
    };
    if let Some(w) = slot_line(old.as_deref(), number, now, &ttl) {
        return (w.get(1) == Some(&"1")).then(|| Found {
            member: unword(w.get(2).copied().unwrap_or("-")),
            number: unword(w.get(3).copied().unwrap_or("-")),
            name: w.get(4).copied().unwrap_or("").to_string(),
        });
    }
    let progress = RefCell::new(None);
    let work = resolve(number, s, host, dir, &progress);
    let (found, problem) = match within(host, s.crm.budget_ms, work).await {
        // Nothing is configured: nothing to remember.
        Some((None, None, false)) => return None,
        Some((found, problem, _)) => (found, problem),
        None => (
            progress.take(),
            Some(VoipError::setting(
                "crmLookupMs",
                t!(m::BUDGET, s.crm.budget_ms),
            )),
        ),
    };
    let mut writes = Vec::new();
    let trace = match &problem {
        None => {
            let line = match &found {
                Some(f) => format!(
                    "{number} {now} 1 {} {} {}",
                    word(&f.member),
                    word(&f.number),
                    f.name
                ),
                None => format!("{number} {now} 0"),
            };
            writes.push((
                slot,
                Some(slot_with(old.as_deref(), number, line, CACHE_ENTRIES)),
            ));
            format!("{now}")
        }
        Some(e) => format!(
            "{now} ! {}",
            snippet(&crate::error::scrub(&e.render(s.lang), &s.secrets()), 400)
        ),
    };
    writes.push((TRACE_KEY.to_string(), Some(trace)));
    let _ = host::write(host, &writes).await;
    found
}

/// The search and the mapping, leaving what is known so far in `progress` (read when the budget
/// runs out). The problem met, if any: a result with one is not cached. Last, whether any app
/// was searched.
async fn resolve<H: Host>(
    number: &str,
    s: &Settings,
    host: &H,
    dir: &dyn Directory,
    progress: &RefCell<Option<Found>>,
) -> (Option<Found>, Option<VoipError>, bool) {
    let values = forms(number, &s.country_code);
    let mut problem = None;
    let mut hit = None;
    let mut searched = false;
    let mut user = s.crm.responsible_field.as_deref();
    for app in APPS {
        let mut result = search(host, s, app, &values, user).await;
        let manager_field = matches!(&result, Err(e) if matches!(
            **e,
            crate::error::Kind::Setting {
                code: "crmResponsibleField",
                ..
            }
        ));
        if manager_field {
            // The caller can still be named without their manager: search again without the field.
            problem = problem.or(result.err());
            user = None;
            result = search(host, s, app, &values, None).await;
        }
        match result {
            Ok(Some(items)) => {
                searched = true;
                hit = pick(items, number, &s.country_code);
            }
            Ok(None) => {}
            Err(e) => problem = problem.or(Some(e)),
        }
        if hit.is_some() {
            break;
        }
    }
    let Some(item) = hit else {
        return (None, problem, searched);
    };
    let mut found = Found {
        name: item.name,
        ..Found::default()
    };
    *progress.borrow_mut() = Some(found.clone());
    if let Some(reference) = item.user.filter(|_| s.crm.responsible_field.is_some()) {
        match manager(host, s, dir, &reference).await {
            Ok(Some((member, number))) => {
                found.member = member;
                found.number = number;
            }
            Ok(None) => {}
            Err(e) => problem = problem.or(Some(e)),
        }
    }
    (Some(found), problem, true)
}

/// A name as a handset shows it: the name only, cut to `max` characters at a word where it can be.
pub fn display_name(name: &str, max: usize) -> String {
    let name = clean(name);
    if name.chars().count() <= max {
        return name;
    }
    let cut: String = name.chars().take(max).collect();
    match cut.rfind(' ') {
        Some(i) if i >= max / 2 => cut[..i].to_string(),
        _ => cut,
    }
}

/// «Проверить соединение»'s look at the lookup: which apps answer a probe search, how managers map
/// to members; `None` when nothing of it is configured. An error names the setting that cannot work.
pub fn probe<'a, H: Host>(
    s: &'a Settings,
    host: &'a H,
    dir: &'a dyn Directory,
) -> Boxed<'a, Result<Option<Text>, VoipError>> {
    Box::pin(probe_unboxed(s, host, dir))
}

async fn probe_unboxed<H: Host>(
    s: &Settings,
    host: &H,
    dir: &dyn Directory,
) -> Result<Option<Text>, VoipError> {
    let mut reached = Vec::new();
    let values = forms("+70000000000", "7");
    for app in APPS {
        // Under the same budget as a lookup: a search that hangs must not hang the test.
        let searched = within(
            host,
            s.crm.budget_ms,
            search(host, s, app, &values, s.crm.responsible_field.as_deref()),
        )
        .await
        .unwrap_or_else(|| {
            Err(VoipError::setting(
                "crmLookupMs",
                t!(m::PROBE_BUDGET, s.crm.budget_ms, field(app)),
            ))
        })?;
        if searched.is_some() {
            reached.push(app);
        }
    }
    if reached.is_empty() && s.crm.api_token.is_none() {
        return Ok(None);
    }
    let apps = match reached.as_slice() {
        [] => t!(m::NO_APPS, field("crmContacts"), field("crmCompanies")),
        [one] => t!(m::RAW, field(one)),
        [a, b, ..] => t!(crate::i18n::common::AND, field(a), field(b)),
    };
    let stored = host::read(host, &[TRACE_KEY.to_string()]).await.ok();
    let staff = dir.staff().await.unwrap_or_default();
    let mapping = match bindings(host, s).await? {
        Some(list) => {
            let members = list
                .iter()
                .filter(|(ext, _)| staff.iter().any(|st| &st.id == ext))
                .count();
            t!(m::MAP_BINDINGS, list.len(), members)
        }
        None => t!(m::MAP_DIRECTORY, field("elmaApiToken"), staff.len()),
    };
    let mapping = match &s.crm.responsible_field {
        Some(_) => mapping,
        None => t!(m::NO_ROUTING, field("crmResponsibleField")),
    };
    let last = stored
        .as_ref()
        .and_then(|st| st.get(TRACE_KEY))
        .and_then(|t| t.split_once(" ! "))
        .map_or(t!(m::RAW, ""), |(_, why)| t!(m::LAST_FAILED, why));
    Ok(Some(t!(m::PROBE_OK, apps, mapping, last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_russian_number_is_searched_in_its_common_forms() {
        let f = forms("+74959561111", "7");
        for form in [
            "+74959561111",
            "74959561111",
            "84959561111",
            "4959561111",
            "+7 (495) 956-11-11",
        ] {
            assert!(f.contains(&form.to_string()), "{form}: {f:?}");
        }
        for form in &f {
            assert_eq!(phone::canonical(form, "7"), "+74959561111", "{form}");
        }
        assert!(forms("101", "7").is_empty());
        assert_eq!(forms("+4930123456", "7"), vec!["+4930123456", "4930123456"]);
    }

    #[test]
    fn the_webhook_url_gives_the_elma_address_and_module_code() {
        let s =
            Settings::from_json(r#"{"provider":"rostelecom","rtClientId":"a","rtSignKey":"b"}"#)
                .unwrap();
        let hook = "https://acme.elma365.ru/api/extensions/2F1C0D0E-5b7a-4c43-9a64-0a6f3c1d2e77/script/voip?x=1";
        assert_eq!(
            elma_target(&s, Some(hook)).unwrap(),
            (
                "https://acme.elma365.ru".to_string(),
                "ext_2f1c0d0e-5b7a-4c43-9a64-0a6f3c1d2e77".to_string()
            )
        );
        let e = elma_target(&s, Some("https://acme.elma365.ru/hook")).unwrap_err();
        assert!(e.to_string().contains("elmaModuleCode"), "{e}");
        let e = elma_target(&s, None).unwrap_err();
        assert!(e.to_string().contains("elmaUrl"), "{e}");
    }

    #[test]
    fn a_name_is_cut_for_a_handset_at_a_word() {
        assert_eq!(
            display_name("ООО  «Ромашка»\nи партнёры", 64),
            "ООО «Ромашка» и партнёры"
        );
        assert_eq!(
            display_name("Константинопольский Константин Константинович", 32),
            "Константинопольский Константин"
        );
        assert_eq!(display_name(&"я".repeat(40), 32).chars().count(), 32);
    }

    #[test]
    fn a_slot_keeps_the_newest_lines_and_stays_bounded() {
        let mut text = String::new();
        for i in 0..40 {
            let key = format!("+7900000{i:04}");
            text = slot_with(
                Some(&text),
                &key,
                format!("{key} 1 1 - - {}", "я".repeat(64)),
                CACHE_ENTRIES,
            );
        }
        assert_eq!(text.lines().count(), CACHE_ENTRIES);
        assert!(text.len() <= MAX_VALUE_CHARS);
        assert!(text.ends_with(&"я".repeat(64)));
        assert!(text.starts_with("+79000000028 "));
    }
}
