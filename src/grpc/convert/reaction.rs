//! Reactions to a message, and their removal.

use super::checker::Checker;
use crate::{graph::messages::Reaction, pb};

/// Loose on purpose: one emoji can be several code points (ZWJ sequences, flags, skin tones).
const EMOJI_MAX: usize = 10;

/// A reaction to the message `message_id`.
pub(super) fn reaction<'a>(c: &mut Checker<'_>, reaction: &'a pb::Reaction) -> Reaction<'a> {
    c.required("message_id", &reaction.message_id);
    c.length("emoji", &reaction.emoji, 0, EMOJI_MAX);
    // An empty emoji is sent as "": that is how a reaction is removed.
    Reaction { message_id: &reaction.message_id, emoji: &reaction.emoji }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::convert::testing::*;

    #[test]
    fn reaction_matches_sample() {
        let req = send(Kind::Reaction(pb::Reaction { message_id: WAMID.into(), emoji: "👍".into() }));
        assert_eq!(body(&req), fixture("send-reaction-request"));
    }

    #[test]
    fn reaction_removal_sends_an_empty_emoji() {
        let req = send(Kind::Reaction(pb::Reaction { message_id: WAMID.into(), emoji: String::new() }));
        assert_eq!(body(&req), fixture("send-reaction-remove-request"));
    }

    #[test]
    fn reactions_need_a_message_and_a_short_emoji() {
        let reaction = |message_id: &str, emoji: &str| {
            send(Kind::Reaction(pb::Reaction { message_id: message_id.into(), emoji: emoji.into() }))
        };
        assert_eq!(fields(&reaction("", "👍")), ["content.reaction.message_id"]);
        assert_eq!(fields(&reaction(WAMID, "this is not an emoji")), ["content.reaction.emoji"]);
        // A family emoji is 7 code points (ZWJ sequence).
        assert!(send_message(&reaction(WAMID, "👨‍👩‍👧‍👦")).is_ok());
    }
}
