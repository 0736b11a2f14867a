//! The content objects of the plain message types (§2.2–2.3, §2.5): text,
//! media by id or link, location, contacts and reactions.

use serde_json::Value;

use super::fields::{Object, Result, as_array, as_object, field, key, max_chars, opt_bool, opt_str, req, req_text};
use crate::emulator::errors::GraphError;

/// What an uploaded media id is used as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaUse {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

/// A reference to uploaded media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MediaRef {
    /// Where it was, e.g. `image['id']`.
    pub(crate) path: String,
    pub(crate) id: String,
    pub(crate) used_as: MediaUse,
}

pub(super) fn text(v: &Value) -> Result<()> {
    let t = as_object(v, "text")?;
    let body = req_text(t, "text", "body")?;
    max_chars(body, 4096, "text['body']")?;
    opt_bool(t, "text", "preview_url")?;
    Ok(())
}

/// Which optional keys a media object may carry.
#[derive(Debug, Clone, Copy)]
pub(super) struct MediaOptions {
    caption: bool,
    filename: bool,
    voice: bool,
}

impl MediaOptions {
    pub(super) const NONE: Self = Self { caption: false, filename: false, voice: false };
    pub(super) const CAPTION: Self = Self { caption: true, ..Self::NONE };
    pub(super) const DOCUMENT: Self = Self { caption: true, filename: true, voice: false };
    pub(super) const AUDIO: Self = Self { voice: true, ..Self::NONE };
}

/// A media object: exactly one of `id` | `link`, plus the keys its kind allows.
pub(super) fn media(v: &Value, path: &str, used_as: MediaUse, options: MediaOptions) -> Result<Option<MediaRef>> {
    let o = as_object(v, path)?;
    let id = opt_str(o, path, "id")?;
    let link = opt_str(o, path, "link")?;
    let found = match (id, link) {
        (Some(_), Some(_)) => {
            return Err(GraphError::invalid_value(format!("Param {path} must contain only one of 'id' or 'link'.")));
        }
        (None, None) => {
            return Err(GraphError::missing(format!("The parameter {path}['id'] or {path}['link'] is required.")));
        }
        (Some(id), None) if id.trim().is_empty() => return Err(GraphError::missing_param(&key(path, "id"))),
        (Some(id), None) => Some(MediaRef { path: key(path, "id"), id: id.trim().to_owned(), used_as }),
        (None, Some(link)) => {
            url(link, &key(path, "link"))?;
            None
        }
    };
    match (options.caption, opt_str(o, path, "caption")?) {
        (true, Some(caption)) => max_chars(caption, 1024, &key(path, "caption"))?,
        (false, Some(_)) => {
            return Err(GraphError::invalid_param(format!(
                "Param {} is not supported for {path} messages.",
                key(path, "caption")
            )));
        }
        (_, None) => {}
    }
    if options.filename {
        opt_str(o, path, "filename")?;
    }
    if options.voice {
        opt_bool(o, path, "voice")?;
    }
    Ok(found)
}

/// An http(s) URL with a host.
pub(super) fn url(link: &str, path: &str) -> Result<()> {
    let rest = link.strip_prefix("https://").or_else(|| link.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !link.contains(char::is_whitespace) => Ok(()),
        _ => Err(GraphError::invalid_value(format!("Param {path} must be a valid http(s) URL."))),
    }
}

pub(super) fn location(o: &Object, path: &str) -> Result<()> {
    coordinate(o, path, "latitude", 90.0)?;
    coordinate(o, path, "longitude", 180.0)?;
    opt_str(o, path, "name")?;
    opt_str(o, path, "address")?;
    Ok(())
}

/// Meta documents coordinates as strings, SDKs send numbers: accept both.
fn coordinate(o: &Object, parent: &str, name: &str, limit: f64) -> Result<()> {
    let path = key(parent, name);
    let value = match req(o, parent, name)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match value {
        Some(v) if v.is_finite() && v.abs() <= limit => Ok(()),
        Some(_) => Err(GraphError::invalid_value(format!("Param {path} must be between -{limit} and {limit}."))),
        None => Err(GraphError::invalid_param(format!("Param {path} must be a number."))),
    }
}

pub(super) fn contacts(v: &Value) -> Result<()> {
    let cards = as_array(v, "contacts")?;
    if cards.is_empty() {
        return Err(GraphError::invalid_value("Param contacts must contain at least one contact."));
    }
    for (i, card) in cards.iter().enumerate() {
        let path = format!("contacts[{i}]");
        let c = as_object(card, &path)?;
        let name_path = key(&path, "name");
        let name = as_object(req(c, &path, "name")?, &name_path)?;
        req_text(name, &name_path, "formatted_name")?;
        for k in ["first_name", "last_name", "middle_name", "prefix", "suffix"] {
            opt_str(name, &name_path, k)?;
        }
        for (list, keys) in [
            ("phones", &["phone", "type", "wa_id"][..]),
            ("emails", &["email", "type"][..]),
            ("urls", &["url", "type"][..]),
            ("addresses", &["street", "city", "state", "zip", "country", "country_code", "type"][..]),
        ] {
            let Some(items) = field(c, list) else { continue };
            let list_path = key(&path, list);
            for (j, item) in as_array(items, &list_path)?.iter().enumerate() {
                let item_path = format!("{list_path}[{j}]");
                let item = as_object(item, &item_path)?;
                for k in keys {
                    opt_str(item, &item_path, k)?;
                }
            }
        }
        if let Some(org) = field(c, "org") {
            let org_path = key(&path, "org");
            let org = as_object(org, &org_path)?;
            for k in ["company", "department", "title"] {
                opt_str(org, &org_path, k)?;
            }
        }
        if let Some(birthday) = opt_str(c, &path, "birthday")?
            && !is_date(birthday)
        {
            return Err(GraphError::invalid_value(format!(
                "Param {} must be a date as YYYY-MM-DD.",
                key(&path, "birthday")
            )));
        }
    }
    Ok(())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u8>().unwrap_or(0))
}

pub(super) fn reaction(v: &Value) -> Result<()> {
    let r = as_object(v, "reaction")?;
    req_text(r, "reaction", "message_id")?;
    // An empty emoji removes the reaction, so only presence is required.
    match req(r, "reaction", "emoji")? {
        Value::String(emoji) => max_chars(emoji, 16, "reaction['emoji']"),
        _ => Err(GraphError::invalid_param("Param reaction['emoji'] must be a string.")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::emulator::validate::{
        message_request,
        tests::{code_and_details, msg, send},
    };
    #[test]
    fn a_missing_text_body_is_131008_like_the_sample() {
        assert_eq!(
            code_and_details(msg("text", json!({}))),
            (131008, "The parameter text['body'] is required.".into())
        );
        assert_eq!(code_and_details(msg("text", json!({"body":""}))).0, 131008);
        assert_eq!(
            code_and_details(json!({"messaging_product":"whatsapp","to":"14155550123","type":"text"})).0,
            131008
        );
    }

    #[test]
    fn text_is_limited_to_4096_characters() {
        assert!(message_request(&msg("text", json!({"body":"é".repeat(4096)}))).is_ok());
        let (code, details) = code_and_details(msg("text", json!({"body":"x".repeat(4097)})));
        assert_eq!(code, 131009);
        assert!(details.contains("text['body']"), "{details}");
    }

    #[test]
    fn media_takes_exactly_one_of_id_or_link() {
        let s = send(msg("image", json!({"id":"123","caption":"c"})));
        assert_eq!(s.media, vec![MediaRef { path: "image['id']".into(), id: "123".into(), used_as: MediaUse::Image }]);
        assert!(send(msg("image", json!({"link":"https://x.example/a.jpg"}))).media.is_empty());
        assert_eq!(code_and_details(msg("image", json!({"id":"1","link":"https://x.example/a.jpg"}))).0, 131009);
        assert_eq!(code_and_details(msg("image", json!({"caption":"c"}))).0, 131008);
        assert_eq!(code_and_details(msg("image", json!({"link":"ftp://x"}))).0, 131009);
        assert_eq!(code_and_details(msg("video", json!({"id":"1","caption":"x".repeat(1025)}))).0, 131009);
        assert_eq!(code_and_details(msg("audio", json!({"id":"1","caption":"no"}))).0, 100);
        assert!(send(msg("audio", json!({"id":"1","voice":true}))).voice);
        assert!(message_request(&msg("document", json!({"id":"1","filename":"a.pdf","caption":"c"}))).is_ok());
    }

    #[test]
    fn locations_accept_strings_and_numbers() {
        assert!(message_request(&msg("location", json!({"latitude":"37.44","longitude":"-122.16"}))).is_ok());
        assert!(message_request(&msg("location", json!({"latitude":37.44,"longitude":-122.16,"name":"n"}))).is_ok());
        assert_eq!(code_and_details(msg("location", json!({"latitude":"north","longitude":1}))).0, 100);
        assert_eq!(code_and_details(msg("location", json!({"latitude":91,"longitude":1}))).0, 131009);
        assert_eq!(code_and_details(msg("location", json!({"latitude":1}))).0, 131008);
    }

    #[test]
    fn contacts_need_a_formatted_name() {
        let ok = json!([{"name":{"formatted_name":"Ana","first_name":"Ana"},"phones":[{"phone":"+1 415","type":"CELL"}],"birthday":"1990-07-15"}]);
        assert!(message_request(&msg("contacts", ok)).is_ok());
        let (code, details) = code_and_details(msg("contacts", json!([{"name":{"first_name":"Ana"}}])));
        assert_eq!(
            (code, details.as_str()),
            (131008, "The parameter contacts[0]['name']['formatted_name'] is required.")
        );
        assert_eq!(
            code_and_details(msg("contacts", json!([{"name":{"formatted_name":"A"},"birthday":"15/07/1990"}]))).0,
            131009
        );
    }

    #[test]
    fn reactions_may_remove_with_an_empty_emoji() {
        assert!(message_request(&msg("reaction", json!({"message_id":"wamid.X","emoji":""}))).is_ok());
        assert_eq!(code_and_details(msg("reaction", json!({"message_id":"wamid.X"}))).0, 131008);
    }
}
