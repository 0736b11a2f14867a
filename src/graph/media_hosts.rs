//! Where a media download may send the account's token.
//!
//! Graph answers `GET /{media-id}` with a URL to fetch the bytes from, and
//! that fetch needs the access token. The URL is data from the network, so
//! the token goes only to an https URL whose host is on the allow-list
//! (Meta's media host by default, `graph.media_hosts`), or to the Graph base
//! URL's own origin (which gets the token anyway; it is how the emulator
//! serves media). Anything else is refused before a request is made.

use reqwest::Url;

/// Meta's media hosts: where `GET /{media-id}` URLs point.
pub const DEFAULT_MEDIA_HOSTS: &[&str] = &["lookaside.fbsbx.com"];

/// The hosts a media download may go to.
#[derive(Debug, Clone)]
pub struct MediaHosts {
    /// Exact hosts, or `*.suffix` for any subdomain of `suffix`.
    patterns: Vec<String>,
    /// The Graph base URL's scheme, host and port.
    graph_origin: Option<Url>,
}

impl MediaHosts {
    /// `patterns` (exact hosts or `*.suffix`) plus the origin of `graph_base_url`.
    pub fn new(patterns: &[String], graph_base_url: &str) -> Self {
        Self {
            patterns: patterns.iter().map(|p| p.trim().to_ascii_lowercase()).collect(),
            graph_origin: Url::parse(graph_base_url).ok(),
        }
    }

    /// Meta's media hosts plus the origin of `graph_base_url`.
    pub fn meta(graph_base_url: &str) -> Self {
        let defaults: Vec<String> = DEFAULT_MEDIA_HOSTS.iter().map(|h| (*h).to_owned()).collect();
        Self::new(&defaults, graph_base_url)
    }

    /// The parsed `url` when the token may be sent there; otherwise why not.
    pub fn check(&self, url: &str) -> Result<Url, String> {
        let parsed = Url::parse(url).map_err(|e| format!("the media URL Graph returned is not a URL: {e}"))?;
        if let Some(origin) = &self.graph_origin
            && parsed.origin() == origin.origin()
        {
            return Ok(parsed);
        }
        if parsed.scheme() != "https" {
            return Err(format!(
                "the media URL Graph returned is not https (scheme {:?}): only https URLs on graph.media_hosts, \
                 or the Graph base URL's own origin, get the token",
                parsed.scheme()
            ));
        }
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        let allowed = self.patterns.iter().any(|pattern| match pattern.strip_prefix("*.") {
            Some(suffix) => {
                host.len() > suffix.len() && host.ends_with(suffix) && host[..host.len() - suffix.len()].ends_with('.')
            }
            None => host == *pattern,
        });
        if !allowed {
            return Err(format!(
                "the media URL Graph returned is on host {host:?}, which is not in graph.media_hosts; \
                 add it there if it is Meta's"
            ));
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_urls_on_allowed_hosts_or_the_graph_origin_pass() {
        let hosts = MediaHosts::new(&["lookaside.fbsbx.com".into(), "*.fbcdn.net".into()], "http://127.0.0.1:4000");
        for ok in [
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",
            "https://scontent.xx.fbcdn.net/v/t1",
            "http://127.0.0.1:4000/media/1",
        ] {
            assert!(hosts.check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://lookaside.fbsbx.com/x",
            "https://evil.example/x",
            "https://lookaside.fbsbx.com.evil.example/x",
            "https://fbcdn.net/x",
            "https://evilfbcdn.net/x",
            "http://127.0.0.1:4001/media/1",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert!(hosts.check(bad).is_err(), "{bad}");
        }
    }
}
