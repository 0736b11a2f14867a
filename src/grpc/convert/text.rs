//! Text messages.

use super::checker::Checker;
use crate::{graph::messages::Text, pb};

const TEXT_BODY_MAX: usize = 4096;

/// A text message: 1 to 4096 characters.
pub(super) fn text_message<'a>(c: &mut Checker<'_>, text: &'a pb::Text) -> Text<'a> {
    c.length("body", &text.body, 1, TEXT_BODY_MAX);
    Text { body: &text.body, preview_url: text.preview_url }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::convert::testing::*;

    #[test]
    fn text_matches_sample() {
        let req = send(Kind::Text(pb::Text {
            body: "Your order ships tomorrow. Track it here: https://shop.example.com/t/8F3K2".into(),
            preview_url: true,
        }));
        assert_eq!(body(&req), fixture("send-text-request"));
    }

    #[test]
    fn text_body_is_1_to_4096_characters() {
        assert_eq!(fields(&send(text(""))), ["content.text.body"]);
        assert_eq!(fields(&send(text(&"x".repeat(4097)))), ["content.text.body"]);
        // Characters, not bytes: 4096 two-byte characters are fine.
        assert!(send_message(&send(text(&"é".repeat(4096)))).is_ok());
        assert!(violation(&send(text(&"x".repeat(4097))), "content.text.body").contains("got 4097"));
    }

    #[test]
    fn preview_url_is_sent_only_when_true() {
        assert_eq!(body(&send(text("hi")))["text"], json!({"body": "hi"}));
    }
}
