//! The egress allowlist: where a plugin's HTTP requests may go. Deny by default; an entry
//! allows one scheme, host and port (a `*.` prefix allows the subdomains of a host).

use crate::bindings::outbound_http::HttpError;

/// One allowed destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    /// Lowercase; `*.example.com` matches any subdomain of `example.com`.
    host: String,
    port: u16,
}

impl Origin {
    /// Parses `https://host[:port]` (a path is ignored; a query, user info or other schemes are
    /// refused).
    pub fn parse(url: &str) -> Result<Self, String> {
        let (scheme, host, port) = split(url)?;
        Ok(Self { scheme, host, port })
    }

    fn matches(&self, scheme: &str, host: &str, port: u16) -> bool {
        if self.scheme != scheme || self.port != port {
            return false;
        }
        match self.host.strip_prefix("*.") {
            Some(parent) => host.strip_suffix(parent).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => self.host == host,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// The destinations one call may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    allowed: Vec<Origin>,
}

impl EgressPolicy {
    /// Allows nothing.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Also allows `origin`.
    pub fn allow(mut self, origin: Origin) -> Self {
        if !self.allowed.contains(&origin) {
            self.allowed.push(origin);
        }
        self
    }

    /// The allowed origins.
    pub fn origins(&self) -> &[Origin] {
        &self.allowed
    }

    /// `Ok` when `url` may be requested, else the typed refusal the guest sees.
    pub fn check(&self, url: &str) -> Result<(), HttpError> {
        let (scheme, host, port) = split(url).map_err(HttpError::Other)?;
        if self.allowed.iter().any(|origin| origin.matches(&scheme, &host, port)) {
            Ok(())
        } else {
            Err(HttpError::DestinationNotAllowed(format!("{scheme}://{host}:{port}")))
        }
    }
}

/// What an instance is granted: the origins its plugin declared (the plugin declares, the host
/// grants), narrowed to the operator's list when there is one. The declaration stays the limit:
/// listing an origin the plugin did not declare grants nothing.
#[derive(Debug)]
pub struct Grant {
    /// What the instance's calls may reach.
    pub policy: EgressPolicy,
    /// Declared by the plugin, left out by the operator's list.
    pub withheld: Vec<Origin>,
    /// Listed by the operator, never declared by the plugin: not granted.
    pub undeclared: Vec<Origin>,
}

/// Who limits an instance's egress beyond what its plugin declares.
#[derive(Debug, Clone, Copy)]
pub enum EgressLimit<'a> {
    /// The operator's own instance (the configuration file, omni's settings): its list, when
    /// there is one, narrows the declaration.
    Operator(Option<&'a [String]>),
    /// An instance an API caller added: see [`Grant::for_caller`].
    Caller { listed: Option<&'a [String]>, operator: Option<&'a [String]> },
}

impl Grant {
    /// Grants `declared` within `limit`.
    pub fn within(declared: &[String], limit: EgressLimit<'_>) -> Result<Self, String> {
        match limit {
            EgressLimit::Operator(allowed) => Self::new(declared, allowed),
            EgressLimit::Caller { listed, operator } => Self::for_caller(declared, listed, operator),
        }
    }

    /// Grants `declared` (the plugin's `validated-config.egress`) within `allowed` (the
    /// operator's list, `None` for no narrowing). An entry that is not an origin is an error
    /// naming it.
    pub fn new(declared: &[String], allowed: Option<&[String]>) -> Result<Self, String> {
        let parse_all = |list: &[String], whose: &str| -> Result<Vec<Origin>, String> {
            list.iter()
                .map(|entry| Origin::parse(entry).map_err(|e| format!("{whose} `{}`: {e}", without_user_info(entry))))
                .collect()
        };
        let declared = parse_all(declared, "the plugin declared egress to")?;
        let allowed = allowed.map(|list| parse_all(list, "egress")).transpose()?;
        let mut grant = Self { policy: EgressPolicy::deny_all(), withheld: Vec::new(), undeclared: Vec::new() };
        for origin in &declared {
            match &allowed {
                Some(list) if !list.contains(origin) => grant.withheld.push(origin.clone()),
                _ => grant.policy = std::mem::take(&mut grant.policy).allow(origin.clone()),
            }
        }
        grant.undeclared = allowed.unwrap_or_default().into_iter().filter(|o| !declared.contains(o)).collect();
        Ok(grant)
    }

    /// Grants an instance an API caller added, whose settings (and so whose declared origins)
    /// the caller chose: every declared origin must be one the operator lists for callers
    /// (`operator`) or, without such a list, an `https` origin named by DNS — which the address
    /// guard keeps to public addresses. `listed`, the caller's own list, narrows further.
    pub fn for_caller(
        declared: &[String],
        listed: Option<&[String]>,
        operator: Option<&[String]>,
    ) -> Result<Self, String> {
        let grant = Self::new(declared, listed)?;
        let operator = match operator {
            Some(list) => Some(Self::new(list, None)?.policy),
            None => None,
        };
        for origin in grant.policy.origins() {
            let refusal = match &operator {
                Some(allowed) if !allowed.origins().contains(origin) => "the operator's [api] egress does not list it",
                None if origin.scheme != "https" || origin.host.parse::<std::net::IpAddr>().is_ok() => {
                    "without an [api] egress list, instances added through the API reach only https origins named by DNS"
                }
                _ => continue,
            };
            return Err(format!("egress to {origin} is not allowed for an instance added through the API: {refusal}"));
        }
        Ok(grant)
    }
}

/// An egress entry fit to quote: user info (`user:password@`) left out.
fn without_user_info(entry: &str) -> String {
    match (entry.find("://"), entry.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}://…{}", &entry[..scheme_end], &entry[at..]),
        _ => entry.to_owned(),
    }
}

/// Scheme, lowercase host and port of an absolute http(s) URL.
fn split(url: &str) -> Result<(String, String, u16), String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("invalid URL: {e}"))?;
    let scheme = uri.scheme_str().ok_or("the URL has no scheme")?.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        other => return Err(format!("scheme `{other}` is not allowed")),
    };
    let authority = uri.authority().ok_or("the URL has no host")?;
    if authority.as_str().contains('@') {
        return Err("URLs with user info are not allowed".into());
    }
    let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    Ok((scheme, host, authority.port_u16().unwrap_or(default_port)))
}

/// A URL without its query string, for logs (media URLs carry signatures in the query).
pub fn redact(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> EgressPolicy {
        EgressPolicy::deny_all()
            .allow(Origin::parse("https://graph.facebook.com").unwrap())
            .allow(Origin::parse("http://127.0.0.1:8080/v26.0").unwrap())
            .allow(Origin::parse("https://*.fbsbx.com").unwrap())
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_grant_is_what_the_plugin_declared_within_what_the_operator_lists() {
        let declared = strings(&["https://graph.facebook.com", "https://lookaside.fbsbx.com"]);
        let all = Grant::new(&declared, None).unwrap();
        assert_eq!(all.policy.origins().len(), 2);
        assert!(all.withheld.is_empty() && all.undeclared.is_empty());

        let narrowed =
            Grant::new(&declared, Some(&strings(&["https://GRAPH.facebook.com:443", "https://evil.com"]))).unwrap();
        assert_eq!(narrowed.policy.check("https://graph.facebook.com/v26.0/1"), Ok(()));
        assert!(narrowed.policy.check("https://lookaside.fbsbx.com/x").is_err());
        assert!(narrowed.policy.check("https://evil.com/x").is_err(), "listing an undeclared origin grants nothing");
        assert_eq!(narrowed.withheld, [Origin::parse("https://lookaside.fbsbx.com").unwrap()]);
        assert_eq!(narrowed.undeclared, [Origin::parse("https://evil.com").unwrap()]);

        let none = Grant::new(&declared, Some(&[])).unwrap();
        assert!(none.policy.origins().is_empty());
    }

    #[test]
    fn a_callers_instance_reaches_only_what_the_operator_lists_for_callers() {
        let loopback = strings(&["http://127.0.0.1:8080"]);
        let error = Grant::for_caller(&loopback, None, None).unwrap_err();
        assert!(error.contains("http://127.0.0.1:8080") && error.contains("[api] egress"), "{error}");
        assert!(Grant::for_caller(&strings(&["http://graph.example.com"]), None, None).is_err(), "plain http");
        assert!(Grant::for_caller(&strings(&["https://[::1]"]), None, None).is_err(), "an address, not a name");
        let meta = strings(&["https://graph.facebook.com", "https://lookaside.fbsbx.com"]);
        assert_eq!(Grant::for_caller(&meta, None, None).unwrap().policy.origins().len(), 2);

        let operator = strings(&["http://127.0.0.1:8080", "https://graph.facebook.com"]);
        assert_eq!(Grant::for_caller(&loopback, None, Some(&operator)).unwrap().policy.origins().len(), 1);
        let error = Grant::for_caller(&meta, None, Some(&operator)).unwrap_err();
        assert!(error.contains("https://lookaside.fbsbx.com:443") && error.contains("does not list it"), "{error}");
        // The caller's own list narrows within the operator's.
        let narrowed = Grant::for_caller(&loopback, Some(&[]), Some(&operator)).unwrap();
        assert!(narrowed.policy.origins().is_empty());
    }

    #[test]
    fn user_info_is_never_quoted() {
        let error = Grant::new(&strings(&["https://admin:hunter2@graph.example.com"]), None).unwrap_err();
        assert!(!error.contains("hunter2") && error.contains("@graph.example.com"), "{error}");
    }

    #[test]
    fn a_grant_names_an_entry_that_is_not_an_origin() {
        let error = Grant::new(&strings(&["ftp://x"]), None).unwrap_err();
        assert!(error.contains("the plugin declared egress to `ftp://x`"), "{error}");
        let error = Grant::new(&[], Some(&strings(&["not a url"]))).unwrap_err();
        assert!(error.contains("egress `not a url`"), "{error}");
    }

    #[test]
    fn deny_by_default() {
        assert!(matches!(
            EgressPolicy::deny_all().check("https://graph.facebook.com/v26.0/1"),
            Err(HttpError::DestinationNotAllowed(_))
        ));
    }

    #[test]
    fn allows_listed_origins_only() {
        let p = policy();
        assert_eq!(p.check("https://graph.facebook.com/v26.0/1/messages"), Ok(()));
        assert_eq!(p.check("https://GRAPH.facebook.com:443/x"), Ok(()));
        assert_eq!(p.check("http://127.0.0.1:8080/v26.0/x"), Ok(()));
        assert_eq!(p.check("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1"), Ok(()));
        for refused in [
            "http://graph.facebook.com/x",
            "https://graph.facebook.com:8443/x",
            "https://graph.facebook.com.evil.com/x",
            "http://127.0.0.1:8081/x",
            "https://fbsbx.com/x",
            "https://evil.com/?https://graph.facebook.com",
        ] {
            assert!(matches!(p.check(refused), Err(HttpError::DestinationNotAllowed(_))), "{refused}");
        }
    }

    #[test]
    fn odd_urls_are_refused_with_a_reason() {
        let p = policy();
        for odd in ["ftp://graph.facebook.com/", "/relative", "https://user:pw@graph.facebook.com/", "not a url"] {
            assert!(matches!(p.check(odd), Err(HttpError::Other(_))), "{odd}");
        }
    }

    #[test]
    fn redaction_drops_the_query() {
        assert_eq!(redact("https://x/a?sig=secret"), "https://x/a");
    }
}
