//! Message templates on the Business Management API (REFERENCE.md §4):
//! create, get, list with cursors and filters, edit, delete.
//!
//! The bodies of create and edit are typed ([`CreateTemplateBody`],
//! [`EditTemplateBody`]); the caller (`grpc::template_convert`) validates a
//! request and builds its body. Reads ask for the fields the gateway maps
//! (`quality_score`, `rejected_reason` and the TTL are only returned when
//! asked for), tolerate ids written as JSON numbers, and read components
//! leniently ([`GraphComponent`]).

mod component;
mod request;

use serde::Deserialize;

pub use component::{ComponentExample, GraphButton, GraphComponent, GraphNamedExample, GraphSupportedApp};
pub use request::{
    BodyExample, BodySpec, ButtonSpec, ComponentSpec, CreateTemplateBody, EditTemplateBody, FooterSpec, HeaderHandles,
    HeaderSpec, HeaderTextExample, NamedExample, OtpSpec, OtpType, SupportedApp,
};

use super::{Client, Error, Success, serde_util::string_or_number};

/// The fields every read asks for.
const TEMPLATE_FIELDS: &str = "id,name,language,status,category,parameter_format,components,rejected_reason,quality_score,message_send_ttl_seconds";

/// What Meta answers to a create.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TemplateCreated {
    /// The new template's id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Its status, e.g. PENDING (possibly already APPROVED or REJECTED).
    #[serde(default)]
    pub status: String,
    /// Its category, which Meta may have changed.
    #[serde(default)]
    pub category: String,
}

/// One template as Graph returns it; enum values stay as Graph spells them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GraphTemplate {
    /// The template id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// The name.
    #[serde(default)]
    pub name: String,
    /// The language code.
    #[serde(default)]
    pub language: String,
    /// The status, e.g. APPROVED.
    #[serde(default)]
    pub status: String,
    /// The category, e.g. UTILITY.
    #[serde(default)]
    pub category: String,
    /// POSITIONAL or NAMED, when Graph says.
    #[serde(default)]
    pub parameter_format: Option<String>,
    /// The components, in order.
    #[serde(default)]
    pub components: Vec<GraphComponent>,
    /// Why it was rejected (`NONE` when it was not).
    #[serde(default)]
    pub rejected_reason: Option<String>,
    /// The quality rating.
    #[serde(default, deserialize_with = "quality_score")]
    pub quality_score: Option<String>,
    /// The delivery TTL, when set.
    #[serde(default)]
    pub message_send_ttl_seconds: Option<i64>,
}

/// `quality_score` is `{"score": "GREEN", "date": …}`; a bare string is accepted too.
fn quality_score<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Quality {
        Object {
            #[serde(default)]
            score: Option<String>,
        },
        Text(String),
    }
    Ok(match Option::<Quality>::deserialize(deserializer)? {
        Some(Quality::Object { score }) => score,
        Some(Quality::Text(score)) => Some(score),
        None => None,
    })
}

/// A page request: size, cursor and filters (empty filters are left out).
#[derive(Debug, Clone, Default)]
pub struct TemplateQuery<'a> {
    /// The page size (`limit`).
    pub limit: u32,
    /// The `after` cursor of the previous page.
    pub after: Option<&'a str>,
    /// Only names containing this.
    pub name: Option<&'a str>,
    /// Only these statuses.
    pub statuses: Vec<&'a str>,
    /// Only these categories.
    pub categories: Vec<&'a str>,
    /// Only these languages.
    pub languages: Vec<&'a str>,
}

/// A page of templates.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplatePage {
    /// The templates.
    pub templates: Vec<GraphTemplate>,
    /// The `after` cursor of the next page; `None` on the last page.
    pub next_after: Option<String>,
}

#[derive(Deserialize)]
struct ListAnswer {
    #[serde(default)]
    data: Vec<GraphTemplate>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Paging {
    #[serde(default)]
    cursors: Option<Cursors>,
    /// Present only when there is a next page.
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
struct Cursors {
    #[serde(default)]
    after: Option<String>,
}

impl ListAnswer {
    fn into_page(self) -> TemplatePage {
        let next_after = self
            .paging
            .filter(|p| p.next.is_some())
            .and_then(|p| p.cursors)
            .and_then(|c| c.after)
            .filter(|a| !a.is_empty());
        TemplatePage { templates: self.data, next_after }
    }
}

// === impl Client ===

impl Client {
    /// `POST /{waba_id}/message_templates`.
    pub async fn create_template(
        &self,
        waba_id: &str,
        body: &CreateTemplateBody<'_>,
    ) -> Result<TemplateCreated, Error> {
        self.post_json(&format!("{waba_id}/message_templates"), body).await
    }

    /// `GET /{template_id}?fields=…`.
    pub async fn get_template(&self, template_id: &str) -> Result<GraphTemplate, Error> {
        self.get_json(template_id, &[("fields", TEMPLATE_FIELDS)]).await
    }

    /// `GET /{waba_id}/message_templates` with paging and filters.
    pub async fn list_templates(&self, waba_id: &str, query: &TemplateQuery<'_>) -> Result<TemplatePage, Error> {
        let limit = query.limit.to_string();
        let (statuses, categories, languages) =
            (query.statuses.join(","), query.categories.join(","), query.languages.join(","));
        let mut params: Vec<(&str, &str)> = vec![("fields", TEMPLATE_FIELDS), ("limit", &limit)];
        let optional = [
            ("after", query.after.unwrap_or_default()),
            ("name", query.name.unwrap_or_default()),
            ("status", &statuses),
            ("category", &categories),
            ("language", &languages),
        ];
        params.extend(optional.into_iter().filter(|(_, v)| !v.is_empty()));
        let answer: ListAnswer = self.get_json(&format!("{waba_id}/message_templates"), &params).await?;
        Ok(answer.into_page())
    }

    /// `POST /{template_id}`: an edit of components, category or TTL.
    pub async fn update_template(&self, template_id: &str, body: &EditTemplateBody<'_>) -> Result<(), Error> {
        let answer: Success = self.post_json(template_id, body).await?;
        answer.check("template edit")
    }

    /// `DELETE /{waba_id}/message_templates?name=…[&hsm_id=…]`: every language
    /// of `name`, or only the template `hsm_id`.
    pub async fn delete_template(&self, waba_id: &str, name: &str, hsm_id: Option<&str>) -> Result<(), Error> {
        let mut query = vec![("name", name)];
        query.extend(hsm_id.map(|id| ("hsm_id", id)));
        let answer: Success = self.delete_json(&format!("{waba_id}/message_templates"), &query).await?;
        answer.check("template delete")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_answer_gives_the_next_cursor_only_when_there_is_a_next_page() {
        let answer: ListAnswer =
            serde_json::from_str(include_str!("../../../tests/fixtures/cloud-api/templates-list-response.json"))
                .unwrap();
        let page = answer.into_page();
        assert_eq!(page.templates.len(), 3);
        assert_eq!(page.next_after.as_deref(), Some("QVFIUjBrTnFYY0NQOGV5ZAF9nSGp0Ymtk"));
        assert_eq!(page.templates[2].rejected_reason.as_deref(), Some("INVALID_FORMAT"));
        assert_eq!(page.templates[1].parameter_format.as_deref(), Some("NAMED"));

        let last: ListAnswer =
            serde_json::from_str(r#"{"data":[],"paging":{"cursors":{"before":"a","after":"b"}}}"#).unwrap();
        assert_eq!(last.into_page().next_after, None);
    }

    #[test]
    fn a_template_reads_its_quality_and_numeric_ids() {
        let t: GraphTemplate =
            serde_json::from_str(include_str!("../../../tests/fixtures/cloud-api/template-get-response.json")).unwrap();
        assert_eq!((t.id.as_str(), t.quality_score.as_deref()), ("1938475610293847", Some("GREEN")));
        assert_eq!(t.components.len(), 4);
        let numeric: GraphTemplate = serde_json::from_str(r#"{"id":1938475610293847,"quality_score":"RED"}"#).unwrap();
        assert_eq!((numeric.id.as_str(), numeric.quality_score.as_deref()), ("1938475610293847", Some("RED")));
    }
}
