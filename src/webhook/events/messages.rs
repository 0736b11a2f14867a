//! Inbound messages (`value.messages[]`) of every kind: text, media,
//! location, contacts, interactive and button replies, reactions, orders,
//! system notices, and the kinds the contract does not model.

use serde::de::Error as _;
use serde_json::value::RawValue;

use super::{
    element::{Parsed, Read},
    errors::errors,
    raw::{from_raw, typed},
};
use crate::{
    pb,
    pb::{event::Kind, inbound_message::Content, interactive_reply::Reply},
    webhook::payload,
};

/// One element of `value.messages[]`, keyed by its wamid; `contacts` name its sender.
pub(super) fn read_message(raw: &RawValue, contacts: &[payload::Contact]) -> Read {
    let m: payload::Message<'_> = from_raw(raw)?;
    if m.id.is_empty() {
        return Err(serde_json::Error::missing_field("id"));
    }
    let content = content(&m)?;
    let message = pb::InboundMessage {
        profile_name: profile_name(contacts, &m.from, &m.from_user_id),
        message_id: m.id,
        from: m.from,
        from_user_id: m.from_user_id,
        context: m.context.map(|c| pb::InboundContext {
            message_id: c.id,
            from: c.from,
            forwarded: c.forwarded,
            frequently_forwarded: c.frequently_forwarded,
            referred_product: c
                .referred_product
                .map(|p| pb::ProductAction { catalog_id: p.catalog_id, product_retailer_id: p.product_retailer_id }),
        }),
        referral: m.referral.map(referral),
        errors: errors(m.errors),
        r#type: m.kind,
        content,
    };
    Ok(Parsed { id: message.message_id.clone(), occurred_at: m.timestamp, kind: Kind::Message(message) })
}

/// The content named by `type`. Unknown types have none (the raw JSON keeps
/// it); a known type whose object has the wrong shape makes the message
/// malformed.
fn content(m: &payload::Message<'_>) -> Result<Option<Content>, serde_json::Error> {
    Ok(match m.kind.as_str() {
        "text" => typed::<payload::Text>(m.text)?.map(|t| Content::Text(pb::InboundText { body: t.body })),
        "image" => typed(m.image)?.map(|x| Content::Image(media(x))),
        "audio" => typed(m.audio)?.map(|x| Content::Audio(media(x))),
        "video" => typed(m.video)?.map(|x| Content::Video(media(x))),
        "document" => typed(m.document)?.map(|x| Content::Document(media(x))),
        "sticker" => typed(m.sticker)?.map(|x| Content::Sticker(media(x))),
        "location" => typed::<payload::Location>(m.location)?.map(|l| {
            Content::Location(pb::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                name: l.name,
                address: l.address,
            })
        }),
        "contacts" => typed::<Vec<payload::ContactCard>>(m.contacts)?
            .map(|cards| Content::Contacts(pb::Contacts { contacts: cards.into_iter().map(contact_card).collect() })),
        "interactive" => typed(m.interactive)?.map(|i| Content::Interactive(interactive(i))),
        "button" => typed::<payload::Button>(m.button)?
            .map(|b| Content::Button(pb::ButtonReply { payload: b.payload, text: b.text })),
        "reaction" => typed::<payload::Reaction>(m.reaction)?
            .map(|r| Content::Reaction(pb::Reaction { message_id: r.message_id, emoji: r.emoji })),
        "order" => typed(m.order)?.map(|o| Content::Order(order(o))),
        "system" => typed::<payload::System>(m.system)?.map(|s| {
            Content::System(pb::SystemMessage {
                body: s.body,
                r#type: s.kind,
                // Legacy `customer_changed_number` put the new number in `new_wa_id`.
                wa_id: if s.wa_id.is_empty() { s.new_wa_id } else { s.wa_id },
                user_id: s.user_id,
            })
        }),
        // The message's `errors` say why; the object (absent on older
        // payloads) only names what it was.
        "unsupported" => Some(Content::Unsupported(pb::UnsupportedContent {
            r#type: typed::<payload::Unsupported>(m.unsupported)?.map(|u| u.kind).unwrap_or_default(),
        })),
        "request_welcome" => Some(Content::RequestWelcome(pb::RequestWelcome {})),
        _ => None,
    })
}

/// The display name from the value's `contacts[]`: the entry for the sender,
/// else the first one.
fn profile_name(contacts: &[payload::Contact], from: &str, from_user_id: &str) -> String {
    let is_sender = |c: &&payload::Contact| {
        (!from.is_empty() && c.wa_id == from) || (!from_user_id.is_empty() && c.user_id == from_user_id)
    };
    contacts
        .iter()
        .find(is_sender)
        .or_else(|| contacts.first())
        .and_then(|c| c.profile.as_ref())
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

/// The value's `contacts[]`, for profile names. They are a courtesy, so an
/// unreadable contact is skipped rather than failing the messages.
pub(super) fn value_contacts(raw: &RawValue) -> Vec<payload::Contact> {
    from_raw::<Vec<&RawValue>>(raw)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| from_raw::<payload::Contact>(c).ok())
        .collect()
}

fn media(m: payload::Media) -> pb::InboundMedia {
    pb::InboundMedia {
        id: m.id,
        mime_type: m.mime_type,
        sha256: m.sha256,
        caption: m.caption,
        filename: m.filename,
        voice: m.voice,
        animated: m.animated,
        url: m.url,
    }
}

fn contact_card(c: payload::ContactCard) -> pb::ContactCard {
    pb::ContactCard {
        name: c.name.map(|n| pb::ContactName {
            formatted_name: n.formatted_name,
            first_name: n.first_name,
            last_name: n.last_name,
            middle_name: n.middle_name,
            prefix: n.prefix,
            suffix: n.suffix,
        }),
        phones: c
            .phones
            .unwrap_or_default()
            .into_iter()
            .map(|p| pb::ContactPhone { phone: p.phone, r#type: p.kind, wa_id: p.wa_id })
            .collect(),
        emails: c
            .emails
            .unwrap_or_default()
            .into_iter()
            .map(|e| pb::ContactEmail { email: e.email, r#type: e.kind })
            .collect(),
        urls: c.urls.unwrap_or_default().into_iter().map(|u| pb::ContactUrl { url: u.url, r#type: u.kind }).collect(),
        addresses: c
            .addresses
            .unwrap_or_default()
            .into_iter()
            .map(|a| pb::ContactAddress {
                street: a.street,
                city: a.city,
                state: a.state,
                zip: a.zip,
                country: a.country,
                country_code: a.country_code,
                r#type: a.kind,
            })
            .collect(),
        org: c.org.map(|o| pb::ContactOrg { company: o.company, department: o.department, title: o.title }),
        birthday: c.birthday,
    }
}

/// An interactive reply; a reply kind the contract does not model (e.g.
/// `call_permission_reply`) has no `reply` and lives in the raw JSON.
fn interactive(i: payload::Interactive<'_>) -> pb::InteractiveReply {
    let choice = |c: payload::Choice| pb::InteractiveChoice { id: c.id, title: c.title, description: c.description };
    let reply = match i.kind.as_str() {
        "button_reply" => i.button_reply.map(|c| Reply::ButtonReply(choice(c))),
        "list_reply" => i.list_reply.map(|c| Reply::ListReply(choice(c))),
        "nfm_reply" => i.nfm_reply.map(|f| {
            Reply::FlowReply(pb::FlowReply {
                name: f.name,
                body: f.body,
                // Meta sends a string of JSON; should an object arrive
                // instead, its text is the same thing.
                response_json: f
                    .response_json
                    .map(|r| serde_json::from_str::<String>(r.get()).unwrap_or_else(|_| r.get().to_owned()))
                    .unwrap_or_default(),
            })
        }),
        _ => None,
    };
    pb::InteractiveReply { reply }
}

fn order(o: payload::Order) -> pb::Order {
    pb::Order {
        catalog_id: o.catalog_id,
        text: o.text,
        product_items: o
            .product_items
            .unwrap_or_default()
            .into_iter()
            .map(|p| pb::OrderItem {
                product_retailer_id: p.product_retailer_id,
                quantity: p.quantity,
                item_price: p.item_price,
                currency: p.currency,
            })
            .collect(),
    }
}

fn referral(r: payload::Referral) -> pb::Referral {
    pb::Referral {
        source_url: r.source_url,
        source_id: r.source_id,
        source_type: r.source_type,
        headline: r.headline,
        body: r.body,
        media_type: r.media_type,
        image_url: r.image_url,
        video_url: r.video_url,
        thumbnail_url: r.thumbnail_url,
        ctwa_clid: r.ctwa_clid,
        welcome_message_text: r.welcome_message.map(|w| w.text).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        bus::contact_of,
        pb,
        pb::{inbound_message::Content, interactive_reply::Reply},
        webhook::events::testing::{ANA, at, content, events, fixture, from_ana, inbound, message, only, received},
    };

    // === every sample ===

    #[test]
    fn text_message_keeps_every_envelope_field() {
        let body = fixture!("webhook-message-text");
        let event = only(body);
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=", 1_784_020_325);
        assert_eq!(m.r#type, "text");
        assert_eq!(
            m.content,
            Some(Content::Text(pb::InboundText { body: "Hi! Does the jacket come in another colour?".into() }))
        );
        assert!(m.context.is_none() && m.referral.is_none() && m.errors.is_empty() && m.from_user_id.is_empty());
        assert_eq!(event.id, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=");
        assert!(event.cursor.is_empty());
        assert_eq!(event.received_at, received());
        // Exactly the message object's bytes, from `{` to `}`.
        let object_start = "{\n                \"from\"";
        let object_end = "\n              }";
        let start = body.find(object_start).expect("the sample has the message object");
        let end = start + body[start..].find(object_end).expect("the message object ends") + object_end.len();
        assert_eq!(event.raw_json, &body[start..end]);
    }

    #[test]
    fn text_message_with_bsuid() {
        let event = only(fixture!("webhook-message-text-bsuid"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=", 1_784_020_325);
        assert_eq!(m.from_user_id, "US.25718394402918375519");
        // The same message as webhook-message-text: one dedup key for both.
        assert_eq!(event.id, only(fixture!("webhook-message-text")).id);
    }

    #[test]
    fn text_reply_has_its_context() {
        let event = only(fixture!("webhook-message-text-reply"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRGMjcwQzVCMjk0NTE1MURDQTlCRgA=", 1_784_020_420);
        assert_eq!(m.content, Some(Content::Text(pb::InboundText { body: "Perfect, tomorrow morning works.".into() })));
        let context = m.context.as_ref().expect("a reply has context");
        assert_eq!(context.message_id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA");
        assert_eq!(context.from, "15557771234");
        assert!(!context.forwarded && !context.frequently_forwarded && context.referred_product.is_none());
    }

    #[test]
    fn forwarded_text() {
        let event = only(fixture!("webhook-message-text-forwarded"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRFMzVFMzBFQjAxRDI4RTIxMTNBMAA=", 1_784_020_445);
        let context = m.context.as_ref().expect("forwarded messages have context");
        assert!(context.forwarded && !context.frequently_forwarded);
        assert!(context.message_id.is_empty());
    }

    #[test]
    fn product_inquiry_refers_to_the_product() {
        let event = only(fixture!("webhook-message-product-inquiry"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRGODkxNEQ0QTc3NTVFREM1M0UxOAA=", 1_784_020_765);
        assert_eq!(m.content, Some(Content::Text(pb::InboundText { body: "Is this one waterproof?".into() })));
        let product = m.context.as_ref().and_then(|c| c.referred_product.as_ref()).expect("a referred product");
        assert_eq!(
            product,
            &pb::ProductAction { catalog_id: "367025965434465".into(), product_retailer_id: "JKT-NAVY-M".into() }
        );
    }

    #[test]
    fn referral_keeps_the_ad() {
        let event = only(fixture!("webhook-message-referral"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRCMTFEMzlERTdBMUMzMjREMDcwMgA=", 1_784_020_785);
        let r = m.referral.as_ref().expect("a referral");
        assert_eq!(r.source_url, "https://fb.me/3xAmPl3Ad");
        assert_eq!(r.source_id, "120211234567890123");
        assert_eq!(r.source_type, "ad");
        assert_eq!(r.headline, "Autumn jackets are here");
        assert_eq!(r.body, "Tap to chat with a stylist");
        assert_eq!(r.media_type, "image");
        assert_eq!(r.image_url, "https://scontent.xx.fbcdn.net/v/ad-image.jpg");
        assert!(r.ctwa_clid.starts_with("ARAkLkA8rmlF"));
        assert!(r.video_url.is_empty() && r.thumbnail_url.is_empty() && r.welcome_message_text.is_empty());
    }

    #[test]
    fn image() {
        let event = only(fixture!("webhook-message-image"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTBDNUU5MUQyN0I0RjZBODNDMQA=", 1_784_020_465);
        assert_eq!(m.r#type, "image");
        let Content::Image(image) = content(&event) else { panic!("not an image: {m:?}") };
        assert_eq!(image.id, "1529834710023845");
        assert_eq!(image.mime_type, "image/jpeg");
        assert_eq!(image.sha256, "Uo8mW2v7Qm9Yq3cN0f4bZs1kL5hT6xR7eD8aG9iJ0pA=");
        assert_eq!(image.caption, "This is the stain I mentioned");
        assert!(image.url.starts_with("https://lookaside.fbsbx.com/"));
    }

    #[test]
    fn voice_note() {
        let event = only(fixture!("webhook-message-audio-voice"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQ2OENCNjIwMUY2QjAwOEI3NDVCMAA=", 1_784_020_485);
        let Content::Audio(audio) = content(&event) else { panic!("not audio: {event:?}") };
        assert_eq!(audio.id, "2219384756019283");
        assert_eq!(audio.mime_type, "audio/ogg; codecs=opus");
        assert!(audio.voice);
    }

    #[test]
    fn video() {
        let event = only(fixture!("webhook-message-video"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBREOEExODBCNTRCMDA1ODY0Mjg2OAA=", 1_784_020_505);
        let Content::Video(video) = content(&event) else { panic!("not a video: {event:?}") };
        assert_eq!((video.id.as_str(), video.caption.as_str()), ("1093847561029384", "Unboxing"));
        assert_eq!(video.mime_type, "video/mp4");
    }

    #[test]
    fn document() {
        let event = only(fixture!("webhook-message-document"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRCOThFM0IyNUVFM0YwNEEyRTZGRAA=", 1_784_020_525);
        let Content::Document(doc) = content(&event) else { panic!("not a document: {event:?}") };
        assert_eq!(doc.id, "884736120938475");
        assert_eq!(doc.filename, "receipt.pdf");
        assert_eq!(doc.caption, "Receipt from the store");
        assert_eq!(doc.mime_type, "application/pdf");
    }

    #[test]
    fn sticker() {
        let event = only(fixture!("webhook-message-sticker"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRERkM4Q0QyNjFEREExQjg5NzBDQQA=", 1_784_020_535);
        let Content::Sticker(sticker) = content(&event) else { panic!("not a sticker: {event:?}") };
        assert_eq!(sticker.id, "601928374655102");
        assert_eq!(sticker.mime_type, "image/webp");
        assert!(!sticker.animated);
    }

    #[test]
    fn location() {
        let event = only(fixture!("webhook-message-location"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQ4RDU3ODExM0JCRTBCRTUzRjI2RAA=", 1_784_020_555);
        assert_eq!(
            content(&event),
            &Content::Location(pb::Location {
                latitude: 37.774_929_5,
                longitude: -122.419_415_5,
                name: "Union Square".into(),
                address: "333 Post St, San Francisco, CA 94108".into(),
            })
        );
    }

    #[test]
    fn contacts_card() {
        let event = only(fixture!("webhook-message-contacts"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzNjNFMEI4NTU4NzZDRjA5RTAwOAA=", 1_784_020_575);
        let Content::Contacts(cards) = content(&event) else { panic!("not contacts: {event:?}") };
        assert_eq!(cards.contacts.len(), 1);
        let card = &cards.contacts[0];
        let name = card.name.as_ref().expect("a name");
        assert_eq!(
            (name.formatted_name.as_str(), name.first_name.as_str(), name.last_name.as_str()),
            ("Maria Silva", "Maria", "Silva")
        );
        assert_eq!(
            card.phones,
            vec![pb::ContactPhone {
                phone: "+55 11 91234-5678".into(),
                r#type: "CELL".into(),
                wa_id: "5511912345678".into()
            }]
        );
        assert_eq!(card.emails, vec![pb::ContactEmail { email: "maria@example.com".into(), r#type: "HOME".into() }]);
        assert!(card.urls.is_empty() && card.addresses.is_empty() && card.org.is_none());
    }

    #[test]
    fn interactive_button_reply() {
        let event = only(fixture!("webhook-interactive-button-reply"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRFMDc1RTY0MzlCOEZBMDQxM0NDNgA=", 1_784_020_625);
        assert_eq!(m.r#type, "interactive");
        assert_eq!(
            content(&event),
            &Content::Interactive(pb::InteractiveReply {
                reply: Some(Reply::ButtonReply(pb::InteractiveChoice {
                    id: "slot_am".into(),
                    title: "Morning".into(),
                    description: String::new(),
                })),
            })
        );
        let context = m.context.as_ref().expect("a reply to the buttons");
        assert_eq!(context.message_id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA");
    }

    #[test]
    fn interactive_list_reply() {
        let event = only(fixture!("webhook-interactive-list-reply"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQxQjIzMkMzMjMxOTdDREU3RDdCOQA=", 1_784_020_645);
        assert_eq!(
            content(&event),
            &Content::Interactive(pb::InteractiveReply {
                reply: Some(Reply::ListReply(pb::InteractiveChoice {
                    id: "ret_start".into(),
                    title: "Start a return".into(),
                    description: "Free within 30 days".into(),
                })),
            })
        );
    }

    #[test]
    fn interactive_flow_reply() {
        let event = only(fixture!("webhook-interactive-nfm-reply"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRGRTYwOTk0NDA1MTVDM0JEN0QxQwA=", 1_784_020_665);
        let Content::Interactive(pb::InteractiveReply { reply: Some(Reply::FlowReply(flow)) }) = content(&event) else {
            panic!("not a flow reply: {event:?}")
        };
        assert_eq!((flow.name.as_str(), flow.body.as_str()), ("flow", "Sent"));
        // The string is unescaped once: it is the flow's JSON itself.
        assert_eq!(
            flow.response_json,
            r#"{"flow_token":"srv-7f2c1a","delivery_rating":"5","comment":"Fast and friendly"}"#
        );
    }

    #[test]
    fn template_button_reply() {
        let event = only(fixture!("webhook-message-button-template-reply"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQwQzJGRUJFNzY2RTEwRDFDMjRERAA=", 1_784_020_685);
        assert_eq!(
            content(&event),
            &Content::Button(pb::ButtonReply { payload: "STOP_SHIPPING_UPDATES".into(), text: "Stop updates".into() })
        );
        let context = m.context.as_ref().expect("the template's wamid");
        assert_eq!(context.message_id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI5QThCN0M2RDVFNEYzQTJCMUMA");
    }

    #[test]
    fn reaction_decodes_the_escaped_emoji() {
        let event = only(fixture!("webhook-message-reaction"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzNEE1NTMxMERFNTIzRDRERDc2QQA=", 1_784_020_705);
        assert_eq!(
            content(&event),
            &Content::Reaction(pb::Reaction {
                message_id: "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA".into(),
                emoji: "\u{2764}\u{fe0f}".into(),
            })
        );
        // raw_json is what Meta sent: still escaped.
        assert!(event.raw_json.contains(r#""emoji": "\u2764\ufe0f""#), "{}", event.raw_json);
    }

    #[test]
    fn removed_reaction_has_no_emoji() {
        let event = only(fixture!("webhook-message-reaction-removed"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQwNzVDMUNFRjk3MkU1MUZBNDk0NQA=", 1_784_020_725);
        let Content::Reaction(reaction) = content(&event) else { panic!("not a reaction: {event:?}") };
        assert_eq!(reaction.emoji, "");
        assert_eq!(reaction.message_id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA");
    }

    #[test]
    fn order_with_items() {
        let event = only(fixture!("webhook-message-order"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzMjRBODUxNDkzOERCNjNGRjRERAA=", 1_784_020_745);
        let Content::Order(order) = content(&event) else { panic!("not an order: {event:?}") };
        assert_eq!(order.catalog_id, "367025965434465");
        assert_eq!(order.text, "Please gift-wrap");
        assert_eq!(
            order.product_items,
            vec![
                pb::OrderItem {
                    product_retailer_id: "JKT-NAVY-M".into(),
                    quantity: 1,
                    item_price: 79.0,
                    currency: "USD".into()
                },
                pb::OrderItem {
                    product_retailer_id: "SCF-WOOL-01".into(),
                    quantity: 2,
                    item_price: 19.5,
                    currency: "USD".into()
                },
            ]
        );
    }

    #[test]
    fn system_number_change_without_contacts() {
        let event = only(fixture!("webhook-message-system-number-change"));
        let m = message(&event);
        assert_eq!(m.from, ANA);
        assert_eq!(m.profile_name, "", "system messages carry no contacts");
        assert_eq!(event.occurred_at, at(1_784_020_805));
        assert_eq!(
            content(&event),
            &Content::System(pb::SystemMessage {
                body: "User Ana Souza changed from 14155550123 to 14155550188".into(),
                r#type: "user_changed_number".into(),
                wa_id: "14155550188".into(),
                user_id: String::new(),
            })
        );
    }

    #[test]
    fn unsupported_keeps_type_and_errors() {
        let event = only(fixture!("webhook-message-unsupported"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQ5RjY5MkZFN0IwOTQxRUU5MUQwMwA=", 1_784_020_825);
        assert_eq!(m.r#type, "unsupported");
        assert_eq!(content(&event), &Content::Unsupported(pb::UnsupportedContent { r#type: "poll_creation".into() }));
        assert_eq!(
            m.errors,
            vec![pb::WhatsAppError {
                code: 131_051,
                title: "Message type unknown".into(),
                message: "Message type unknown".into(),
                details: "Message type is currently not supported.".into(),
                href: String::new(),
            }]
        );
    }

    // === beyond the samples ===

    #[test]
    fn escaped_emoji_and_accents_decode() {
        let body = inbound(
            r#"[{"profile":{"name":"Jos\u00e9 Mu\u00f1oz"},"wa_id":"34600111222"}]"#,
            r#"[{"from":"34600111222","id":"wamid.esc","timestamp":"1784020325","type":"text","text":{"body":"Ol\u00e1, caf\u00e9 cr\u00e8me br\u00fbl\u00e9e \ud83d\ude00\ud83c\uddf5\ud83c\uddf9!"}}]"#,
        );
        let event = only(&body);
        let m = message(&event);
        assert_eq!(m.profile_name, "José Muñoz");
        assert_eq!(m.content, Some(Content::Text(pb::InboundText { body: "Olá, café crème brûlée 😀🇵🇹!".into() })));
        // raw_json is untouched: the escapes are still there for signature-faithful consumers.
        assert!(event.raw_json.contains(r"\ud83d\ude00"));
    }

    #[test]
    fn unescaped_utf8_decodes_too() {
        let body = inbound("[]", r#"[{"from":"1","id":"wamid.utf8","type":"text","text":{"body":"naïve 🎉"}}]"#);
        let event = only(&body);
        assert_eq!(message(&event).content, Some(Content::Text(pb::InboundText { body: "naïve 🎉".into() })));
        assert_eq!(event.occurred_at, received(), "no timestamp: the time it was received");
    }

    #[test]
    fn unknown_message_type_keeps_type_without_content() {
        let body = inbound("[]", r#"[{"from":"1","id":"wamid.poll","timestamp":"1","type":"poll","poll":{"q":"?"}}]"#);
        let event = only(&body);
        let m = message(&event);
        assert_eq!((m.r#type.as_str(), m.content.is_none()), ("poll", true));
        assert!(event.raw_json.contains(r#""poll":{"q":"?"}"#));
    }

    #[test]
    fn request_welcome_and_unmodelled_interactive() {
        let body = inbound(
            "[]",
            r#"[{"from":"1","id":"wamid.hi","timestamp":"1","type":"request_welcome"},
                {"from":"1","id":"wamid.call","timestamp":"1","type":"interactive","interactive":{"type":"call_permission_reply","call_permission_reply":{"response":"accept"}}}]"#,
        );
        let events = events(&body);
        assert_eq!(content(&events[0]), &Content::RequestWelcome(pb::RequestWelcome {}));
        assert_eq!(content(&events[1]), &Content::Interactive(pb::InteractiveReply { reply: None }));
    }

    #[test]
    fn numbers_as_strings_and_strings_as_numbers() {
        let body = inbound(
            "[]",
            r#"[{"from":"1","id":"wamid.loc","timestamp":1784020555,"type":"location","location":{"latitude":"37.44216251868683","longitude":"-122.16153","name":null}},
                {"from":"1","id":"wamid.ord","timestamp":"1784020745","type":"order","order":{"catalog_id":367025965434465,"product_items":[{"product_retailer_id":"A","quantity":"3","item_price":"12.50","currency":"EUR"},{"product_retailer_id":"B","quantity":2.0,"item_price":7,"currency":"EUR"}]}}]"#,
        );
        let events = events(&body);
        assert_eq!(events[0].occurred_at, at(1_784_020_555));
        assert_eq!(
            content(&events[0]),
            &Content::Location(pb::Location {
                latitude: 37.442_162_518_686_83,
                longitude: -122.161_53,
                name: String::new(),
                address: String::new()
            })
        );
        let Content::Order(order) = content(&events[1]) else { panic!("not an order") };
        assert_eq!(order.catalog_id, "367025965434465");
        let items: Vec<_> = order.product_items.iter().map(|i| (i.quantity, i.item_price)).collect();
        assert_eq!(items, [(3, 12.5), (2, 7.0)]);
    }

    #[test]
    fn legacy_number_change_and_username_only_sender() {
        let body = inbound(
            r#"[{"profile":{"name":"Someone"},"wa_id":"999"},{"profile":{"name":"Kai"},"user_id":"US.1"}]"#,
            r#"[{"from":"14155550123","id":"wamid.legacy","timestamp":"1","type":"system","system":{"body":"changed","type":"customer_changed_number","new_wa_id":"14155550188"}},
                {"from_user_id":"US.1","id":"wamid.user","timestamp":"2","type":"text","text":{"body":"hi"}}]"#,
        );
        let events = events(&body);
        let Content::System(system) = content(&events[0]) else { panic!("not a system message") };
        assert_eq!((system.r#type.as_str(), system.wa_id.as_str()), ("customer_changed_number", "14155550188"));
        // No contact matches 14155550123: the first contact stands in.
        assert_eq!(message(&events[0]).profile_name, "Someone");
        let user = message(&events[1]);
        assert_eq!((user.from.as_str(), user.profile_name.as_str()), ("", "Kai"));
        assert_eq!(contact_of(&events[1]), "US.1");
    }
}
