//! A new template's buttons: each kind's fields, how many of each a
//! template may have, and where quick replies go.

use super::placeholders::placeholders;
use crate::{
    graph::templates::{ButtonSpec, OtpSpec, OtpType, SupportedApp},
    grpc::convert::{Checker, is_http_url, quoted},
    pb::{self, template_button::Kind as ButtonKind},
};

const BUTTONS_MAX: usize = 10;
const BUTTON_TEXT_MAX: usize = 25;
const URL_MAX: usize = 2000;
const PHONE_MAX: usize = 20;
const COPY_CODE_MAX: usize = 15;
/// How many buttons of each type a template may have.
const BUTTON_COUNTS: [(&str, usize); 5] =
    [("QUICK_REPLY", 10), ("URL", 2), ("PHONE_NUMBER", 1), ("COPY_CODE", 1), ("OTP", 1)];

/// The buttons, checked one by one and as a group; `None` (reported) when
/// one could not be built.
pub(super) fn buttons<'a>(c: &mut Checker<'_>, b: &'a pb::ButtonsComponent, auth: bool) -> Option<Vec<ButtonSpec<'a>>> {
    c.count("buttons", b.buttons.len(), 1, BUTTONS_MAX, "button");
    let mut kinds: Vec<&'static str> = Vec::with_capacity(b.buttons.len());
    let mut out = Vec::with_capacity(b.buttons.len());
    for (i, button) in b.buttons.iter().enumerate() {
        let mut c = c.item("buttons", i);
        let Some(kind) = &button.kind else {
            c.fail("", "needs a kind: quick_reply, url, phone_number, copy_code, otp or flow");
            out.push(None);
            continue;
        };
        let (name, spec) = one_button(&mut c, kind);
        if auth != (name == "OTP") {
            c.fail(
                "",
                if auth {
                    "authentication templates take one otp button and nothing else"
                } else {
                    "otp buttons are only for authentication templates"
                },
            );
        }
        kinds.push(name);
        out.push(spec);
    }
    for (kind, max) in BUTTON_COUNTS {
        let n = kinds.iter().filter(|k| **k == kind).count();
        if n > max {
            c.fail("buttons", format!("may hold at most {max} {kind} button(s), got {n}"));
        }
    }
    // Quick replies are grouped together, not interleaved with other types.
    let first = kinds.iter().position(|k| *k == "QUICK_REPLY");
    let last = kinds.iter().rposition(|k| *k == "QUICK_REPLY");
    if let (Some(first), Some(last)) = (first, last)
        && kinds[first..=last].iter().any(|k| *k != "QUICK_REPLY")
    {
        c.fail("buttons", "must keep quick_reply buttons together, not between other buttons");
    }
    out.into_iter().collect()
}

/// One button and the Graph name of its type (which the counts go by).
fn one_button<'a>(c: &mut Checker<'_>, kind: &'a ButtonKind) -> (&'static str, Option<ButtonSpec<'a>>) {
    match kind {
        ButtonKind::QuickReply(b) => {
            let mut c = c.at("quick_reply");
            c.length("text", &b.text, 1, BUTTON_TEXT_MAX);
            ("QUICK_REPLY", Some(ButtonSpec::QuickReply { text: &b.text }))
        }
        ButtonKind::Url(b) => {
            let mut c = c.at("url");
            c.length("text", &b.text, 1, BUTTON_TEXT_MAX);
            c.http_url("url", &b.url);
            c.length("url", &b.url, 0, URL_MAX);
            let vars = placeholders(&b.url).unwrap_or_else(|e| {
                c.fail("url", e);
                Vec::new()
            });
            let dynamic = !vars.is_empty();
            if dynamic && (vars != ["1"] || !b.url.trim_end().ends_with("}}") || b.url.matches("{{").count() > 1) {
                c.fail("url", "may hold one placeholder, {{1}}, at its end");
            }
            if dynamic && c.required("example", &b.example) && !is_http_url(&b.example) {
                c.fail("example", format!("must be a full example URL, got {}", quoted(&b.example)));
            }
            if !dynamic && !b.example.is_empty() {
                c.fail("example", "must be empty: the URL has no placeholder");
            }
            let example = dynamic.then_some([b.example.as_str()]);
            ("URL", Some(ButtonSpec::Url { text: &b.text, url: &b.url, example }))
        }
        ButtonKind::PhoneNumber(b) => {
            let mut c = c.at("phone_number");
            c.length("text", &b.text, 1, BUTTON_TEXT_MAX);
            c.length("phone_number", &b.phone_number, 1, PHONE_MAX);
            ("PHONE_NUMBER", Some(ButtonSpec::PhoneNumber { text: &b.text, phone_number: &b.phone_number }))
        }
        ButtonKind::CopyCode(b) => {
            c.at("copy_code").length("example", &b.example, 1, COPY_CODE_MAX);
            ("COPY_CODE", Some(ButtonSpec::CopyCode { example: &b.example }))
        }
        ButtonKind::Otp(b) => ("OTP", otp_button(&mut c.at("otp"), b).map(ButtonSpec::Otp)),
        ButtonKind::Flow(b) => {
            let mut c = c.at("flow");
            c.length("text", &b.text, 1, BUTTON_TEXT_MAX);
            match (b.flow_id.is_empty(), b.flow_name.is_empty()) {
                (true, true) => c.fail("flow_id", "is required: set flow_id or flow_name"),
                (false, false) => c.fail("flow_name", "must be empty when flow_id is set: name the flow one way"),
                _ => {}
            }
            if !matches!(b.flow_action.as_str(), "" | "navigate" | "data_exchange") {
                c.fail("flow_action", format!("must be navigate or data_exchange, got {}", quoted(&b.flow_action)));
            }
            if !b.navigate_screen.is_empty() && b.flow_action == "data_exchange" {
                c.fail("navigate_screen", "is only for the navigate action");
            }
            let spec = ButtonSpec::Flow {
                text: &b.text,
                flow_id: &b.flow_id,
                flow_name: &b.flow_name,
                flow_action: &b.flow_action,
                navigate_screen: &b.navigate_screen,
            };
            ("FLOW", Some(spec))
        }
    }
}

/// A one-time-password button; `None` (reported) when its type is unset or unknown.
fn otp_button<'a>(c: &mut Checker<'_>, b: &'a pb::OtpButton) -> Option<OtpSpec<'a>> {
    use pb::OtpType as T;
    let otp_type = match T::try_from(b.otp_type) {
        Ok(T::Unspecified) => {
            c.fail("otp_type", "is required: COPY_CODE, ONE_TAP or ZERO_TAP");
            None
        }
        Ok(T::CopyCode) => Some(OtpType::CopyCode),
        Ok(T::OneTap) => Some(OtpType::OneTap),
        Ok(T::ZeroTap) => Some(OtpType::ZeroTap),
        Err(_) => {
            c.fail("otp_type", format!("has the unknown value {}", b.otp_type));
            None
        }
    };
    c.length("text", &b.text, 0, BUTTON_TEXT_MAX);
    c.length("autofill_text", &b.autofill_text, 0, BUTTON_TEXT_MAX);
    let tap = matches!(otp_type, Some(OtpType::OneTap | OtpType::ZeroTap));
    if tap {
        c.count("supported_apps", b.supported_apps.len(), 1, usize::MAX, "app");
    }
    let mut apps = Vec::with_capacity(b.supported_apps.len());
    for (i, app) in b.supported_apps.iter().enumerate() {
        let mut c = c.item("supported_apps", i);
        c.required("package_name", &app.package_name);
        c.required("signature_hash", &app.signature_hash);
        apps.push(SupportedApp { package_name: &app.package_name, signature_hash: &app.signature_hash });
    }
    Some(OtpSpec { otp_type: otp_type?, text: &b.text, autofill_text: &b.autofill_text, supported_apps: apps })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::template_convert::testing::*;

    #[test]
    fn buttons_are_checked() {
        let with_buttons = |buttons: Vec<pb::TemplateButton>| {
            let mut req = order_shipped();
            req.components[3] = component(ComponentKind::Buttons(pb::ButtonsComponent { buttons }));
            req
        };
        let qr = |t: &str| button(ButtonKind::QuickReply(pb::QuickReplyButton { text: t.into() }));
        let call = button(ButtonKind::PhoneNumber(pb::PhoneNumberButton {
            text: "Call".into(),
            phone_number: "+15551234".into(),
        }));
        let req = with_buttons(vec![qr("a"), call.clone(), qr("b")]);
        assert!(violation(&req, "components[3].buttons.buttons").contains("together"));
        let req = with_buttons(vec![qr(&"x".repeat(26))]);
        assert!(violation(&req, "components[3].buttons.buttons[0].quick_reply.text").contains("25"));
        let url = |url: &str, example: &str| {
            button(ButtonKind::Url(pb::UrlButton { text: "Go".into(), url: url.into(), example: example.into() }))
        };
        let req = with_buttons(vec![url("https://x.example/{{1}}/a", "https://x.example/1/a")]);
        assert!(violation(&req, "components[3].buttons.buttons[0].url.url").contains("at its end"));
        let req = with_buttons(vec![url("https://x.example/{{1}}", "")]);
        assert!(violation(&req, "components[3].buttons.buttons[0].url.example").contains("required"));
        let req = with_buttons(vec![url("ftp://x", "")]);
        assert!(violation(&req, "components[3].buttons.buttons[0].url.url").contains("http"));
        let req = with_buttons(vec![call.clone(), call]);
        assert!(violation(&req, "components[3].buttons.buttons").contains("at most 1 PHONE_NUMBER"));
        let otp = button(ButtonKind::Otp(pb::OtpButton { otp_type: 1, ..Default::default() }));
        let req = with_buttons(vec![otp]);
        assert!(violation(&req, "components[3].buttons.buttons[0]").contains("only for authentication"));
    }
}
