//! Templates for the unit tests of the template policy.

use serde_json::{Value, json};

use super::shape::TemplateShape;
use crate::graph::GraphTemplate;

/// A template `order_shipped (en_US)` with these components.
pub(super) fn template(format: Option<&str>, components: Value) -> TemplateShape {
    let t: GraphTemplate = serde_json::from_value(json!({
        "id": "77", "name": "order_shipped", "language": "en_US", "status": "APPROVED",
        "category": "UTILITY", "parameter_format": format, "components": components,
    }))
    .unwrap();
    TemplateShape::from_graph(&t)
}

/// The reference sample `order_shipped`: an image header, three body
/// placeholders, a dynamic URL button and a quick reply.
pub(super) fn shipped() -> TemplateShape {
    let t: GraphTemplate =
        serde_json::from_str(include_str!("../../../tests/fixtures/cloud-api/template-get-response.json")).unwrap();
    TemplateShape::from_graph(&t)
}
