//! `TemplateService`: message templates of the configured WhatsApp Business
//! Accounts, validated and converted by [`super::template_convert`].
//!
//! Guarantees: a request names a configured WABA (or means the default
//! number's), and a key restricted to some phone numbers only manages the
//! templates of the WABAs that own them. A template id (Get, Update) is only
//! served when the template belongs to the request's WABA: one token may
//! reach templates of several WABAs, so after Graph returns the template the
//! WABA's own list (filtered by its name and language) must hold its id;
//! otherwise it is NOT_FOUND with the same message as an id that does not
//! exist. `ListTemplates` pages with Graph's cursors: a page token is the
//! `after` cursor of the previous page, opaque to the client, and is only
//! valid with the same filters. Edits and deletions evict the template from
//! the send-check cache at once.

use tonic::{Code, Request, Response, Status};

use super::{Shared, auth::Principal, template_convert as convert};
use crate::{
    access::PhoneNumbers,
    accounts::Account,
    error::{Error, FieldViolation, graph_code},
    graph::vocab,
    graph::{self, GraphTemplate, TemplateQuery},
    pb::{self, template_service_server::TemplateService},
    policy::templates::{LookupError, templates_named},
};

/// The page size when the request leaves it at 0.
const DEFAULT_PAGE_SIZE: i32 = 25;
/// The largest page size.
const MAX_PAGE_SIZE: i32 = 100;

/// The TemplateService implementation.
pub struct Templates {
    shared: Shared,
}

impl Templates {
    /// The service over the gateway's shared state.
    pub fn new(shared: Shared) -> Self {
        Self { shared }
    }

    /// The WABA a request names (the default number's when empty) and its
    /// account, if the key may manage it.
    fn account<'a>(&'a self, principal: &Principal, requested: &'a str) -> Result<(&'a str, &'a Account), Error> {
        let (waba_id, account) = self.shared.accounts.for_waba(requested)?;
        let allowed = match &principal.phone_number_ids {
            PhoneNumbers::All => true,
            PhoneNumbers::Only(phones) => phones.iter().any(|phone| {
                self.shared.accounts.for_phone(phone).is_ok_and(|(_, account)| account.waba_id == waba_id)
            }),
        };
        if !allowed {
            return Err(Error::PermissionDenied(format!(
                "API key {:?} may not manage the templates of WhatsApp Business Account {waba_id}: \
                 it may use none of its phone numbers",
                principal.key_name
            )));
        }
        Ok((waba_id, account.as_ref()))
    }
}

fn required(field: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() { Err(Error::invalid(field, "is required")) } else { Ok(()) }
}

/// A template id: required, and a Graph id (it becomes a URL path).
fn required_template_id(template_id: &str) -> Result<(), Error> {
    super::convert::syntax::check_graph_id("template_id", template_id, "template id")
}

/// The one answer for a template id the WABA does not hold, whether it does
/// not exist at all or belongs to another WABA.
fn not_in_waba(template_id: &str, waba_id: &str) -> Error {
    Error::NotFound(format!("template {template_id} does not exist in WhatsApp Business Account {waba_id}"))
}

/// Whether Graph said the object does not exist.
fn is_not_found(e: &graph::Error) -> bool {
    matches!(e, graph::Error::Api(api) if graph_code(api.code, api.subcode, api.http_status) == Code::NotFound)
}

/// The template `template_id` as Graph returns it, if it belongs to WABA
/// `waba_id` (see the module guarantees).
async fn owned_template(account: &Account, waba_id: &str, template_id: &str) -> Result<GraphTemplate, Error> {
    let template = match account.graph.get_template(template_id).await {
        Ok(template) => template,
        Err(e) if is_not_found(&e) => return Err(not_in_waba(template_id, waba_id)),
        Err(e) => return Err(e.into()),
    };
    let language = Some(template.language.as_str()).filter(|l| !l.is_empty());
    match templates_named(&account.graph, waba_id, &template.name, language).await {
        Ok(named) if named.iter().any(|t| t.id == template.id) => Ok(template),
        Ok(_) => Err(not_in_waba(template_id, waba_id)),
        Err(LookupError::Graph(e)) if is_not_found(&e) => Err(not_in_waba(template_id, waba_id)),
        Err(LookupError::Graph(e)) => Err(e.into()),
        // Not confirmed, so not served; the name is not told, as the
        // template may belong to another WABA.
        Err(LookupError::TooManyMatches { .. }) => Err(Error::Precondition {
            reason: "TEMPLATE_OWNERSHIP_UNCONFIRMED",
            message: format!(
                "cannot confirm that template {template_id} belongs to WhatsApp Business Account {waba_id}: too many \
                 of its templates have similar names; use ListTemplates with a name filter instead"
            ),
        }),
    }
}

/// Checks the list request and maps its filters to Graph's spelling.
fn list_query(req: &pb::ListTemplatesRequest) -> Result<TemplateQuery<'_>, Error> {
    let mut violations = Vec::new();
    let limit = match req.page_size {
        0 => DEFAULT_PAGE_SIZE,
        n if (1..=MAX_PAGE_SIZE).contains(&n) => n,
        n => {
            violations.push(FieldViolation::new("page_size", format!("must be 0 to {MAX_PAGE_SIZE}, got {n}")));
            DEFAULT_PAGE_SIZE
        }
    };
    let mut statuses = Vec::with_capacity(req.statuses.len());
    for (i, status) in req.statuses.iter().enumerate() {
        match pb::TemplateStatus::try_from(*status).ok().and_then(vocab::template_status_to_graph) {
            Some(name) => statuses.push(name),
            None => violations.push(FieldViolation::new(format!("statuses[{i}]"), format!("{status} is not a status"))),
        }
    }
    let mut categories = Vec::with_capacity(req.categories.len());
    for (i, category) in req.categories.iter().enumerate() {
        match pb::TemplateCategory::try_from(*category).ok().and_then(vocab::template_category_to_graph) {
            Some(name) => categories.push(name),
            None => violations
                .push(FieldViolation::new(format!("categories[{i}]"), format!("{category} is not a category"))),
        }
    }
    for (i, language) in req.languages.iter().enumerate() {
        if language.is_empty() || language.contains(',') {
            violations.push(FieldViolation::new(format!("languages[{i}]"), "must be a language code such as en_US"));
        }
    }
    if !violations.is_empty() {
        return Err(Error::Invalid(violations));
    }
    Ok(TemplateQuery {
        limit: u32::try_from(limit).unwrap_or(25),
        after: Some(req.page_token.as_str()).filter(|t| !t.is_empty()),
        name: Some(req.name.as_str()).filter(|n| !n.is_empty()),
        statuses,
        categories,
        languages: req.languages.iter().map(String::as_str).collect(),
    })
}

#[tonic::async_trait]
impl TemplateService for Templates {
    async fn create_template(
        &self,
        request: Request<pb::CreateTemplateRequest>,
    ) -> Result<Response<pb::CreateTemplateResponse>, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        let (waba_id, account) = self.account(&principal, &req.waba_id)?;
        let body = convert::create_body(&req).map_err(Error::from)?;
        let created = account.graph.create_template(waba_id, &body).await.map_err(Error::from)?;
        Ok(Response::new(pb::CreateTemplateResponse {
            id: created.id,
            status: vocab::template_status_from_graph(&created.status).into(),
            category: vocab::template_category_from_graph(&created.category).into(),
        }))
    }

    async fn get_template(
        &self,
        request: Request<pb::GetTemplateRequest>,
    ) -> Result<Response<pb::GetTemplateResponse>, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        required_template_id(&req.template_id)?;
        let (waba_id, account) = self.account(&principal, &req.waba_id)?;
        let template = owned_template(account, waba_id, &req.template_id).await?;
        Ok(Response::new(pb::GetTemplateResponse { template: Some(convert::template_from_graph(&template, waba_id)) }))
    }

    async fn list_templates(
        &self,
        request: Request<pb::ListTemplatesRequest>,
    ) -> Result<Response<pb::ListTemplatesResponse>, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        let (waba_id, account) = self.account(&principal, &req.waba_id)?;
        let query = list_query(&req)?;
        let page = account.graph.list_templates(waba_id, &query).await.map_err(Error::from)?;
        Ok(Response::new(pb::ListTemplatesResponse {
            templates: page.templates.iter().map(|t| convert::template_from_graph(t, waba_id)).collect(),
            next_page_token: page.next_after.unwrap_or_default(),
        }))
    }

    async fn update_template(
        &self,
        request: Request<pb::UpdateTemplateRequest>,
    ) -> Result<Response<pb::UpdateTemplateResponse>, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        required_template_id(&req.template_id)?;
        let (waba_id, account) = self.account(&principal, &req.waba_id)?;
        // The rules for the new components depend on the category and
        // parameter format the template already has.
        let current = owned_template(account, waba_id, &req.template_id).await?;
        let body = convert::update_body(&req, &current).map_err(Error::from)?;
        account.graph.update_template(&req.template_id, &body).await.map_err(Error::from)?;
        self.shared.templates.forget_id(&req.template_id);
        Ok(Response::new(pb::UpdateTemplateResponse {}))
    }

    async fn delete_template(
        &self,
        request: Request<pb::DeleteTemplateRequest>,
    ) -> Result<Response<pb::DeleteTemplateResponse>, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        required("name", &req.name)?;
        let (waba_id, account) = self.account(&principal, &req.waba_id)?;
        let hsm_id = Some(req.template_id.as_str()).filter(|id| !id.is_empty());
        account.graph.delete_template(waba_id, &req.name, hsm_id).await.map_err(Error::from)?;
        self.shared.templates.forget_name(waba_id, &req.name);
        Ok(Response::new(pb::DeleteTemplateResponse {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_requests_map_to_graph_queries() {
        let req = pb::ListTemplatesRequest {
            page_size: 0,
            page_token: "QVFI".into(),
            name: "order".into(),
            statuses: vec![pb::TemplateStatus::Approved.into(), pb::TemplateStatus::Paused.into()],
            categories: vec![pb::TemplateCategory::Utility.into()],
            languages: vec!["en_US".into()],
            ..Default::default()
        };
        let q = list_query(&req).unwrap();
        assert_eq!((q.limit, q.after, q.name), (25, Some("QVFI"), Some("order")));
        assert_eq!(
            (q.statuses, q.categories, q.languages),
            (vec!["APPROVED", "PAUSED"], vec!["UTILITY"], vec!["en_US"])
        );
    }

    #[test]
    fn bad_list_requests_name_their_fields() {
        let req = pb::ListTemplatesRequest {
            page_size: 101,
            statuses: vec![0],
            categories: vec![42],
            languages: vec![String::new()],
            ..Default::default()
        };
        let Err(Error::Invalid(violations)) = list_query(&req) else { panic!("invalid") };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["page_size", "statuses[0]", "categories[0]", "languages[0]"]);
    }
}
