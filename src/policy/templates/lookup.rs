//! Finding a template by its exact name in Graph, which only filters by
//! parts of names.

use crate::graph::{self, GraphTemplate, TemplateQuery};

/// The page size of a lookup by name.
const LOOKUP_PAGE: u32 = 100;
/// The most pages a lookup by name reads.
pub const LOOKUP_PAGES: u32 = 5;

/// Why the templates of a name could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// Graph failed.
    #[error(transparent)]
    Graph(#[from] graph::Error),
    /// More templates match the name than a lookup reads, so the one looked
    /// for may be on a page it did not read.
    #[error(
        "more than {max} templates match the name {name:?}; the lookup stopped after {LOOKUP_PAGES} pages",
        max = LOOKUP_PAGE * LOOKUP_PAGES
    )]
    TooManyMatches {
        /// The name looked up.
        name: String,
    },
}

/// Every template of WABA `waba_id` named exactly `name`, in `language` or
/// in any. Graph's name filter matches parts of names, so this pages through
/// every match, up to [`LOOKUP_PAGES`] pages: more is
/// [`LookupError::TooManyMatches`], never a partial answer.
pub async fn templates_named(
    graph: &graph::Client,
    waba_id: &str,
    name: &str,
    language: Option<&str>,
) -> Result<Vec<GraphTemplate>, LookupError> {
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..LOOKUP_PAGES {
        let query = TemplateQuery {
            limit: LOOKUP_PAGE,
            after: after.as_deref(),
            name: Some(name),
            languages: language.into_iter().collect(),
            ..Default::default()
        };
        let page = graph.list_templates(waba_id, &query).await?;
        found.extend(page.templates.into_iter().filter(|t| t.name == name));
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok(found),
        }
    }
    Err(LookupError::TooManyMatches { name: name.to_owned() })
}
