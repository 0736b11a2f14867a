//! Location pins and contact cards.

use serde_json::Value;

use super::{
    checker::Checker,
    obj::Obj,
    syntax::{is_date, quoted},
};
use crate::pb;

/// A location pin; latitude and longitude go out as JSON numbers.
pub(super) fn location_object(c: &mut Checker<'_>, location: &pb::Location) -> Value {
    coordinate(c, "latitude", location.latitude, 90.0);
    coordinate(c, "longitude", location.longitude, 180.0);
    Obj::new()
        .set("latitude", finite(location.latitude))
        .set("longitude", finite(location.longitude))
        .non_empty("name", &location.name)
        .non_empty("address", &location.address)
        .build()
}

fn coordinate(c: &mut Checker<'_>, field: &str, degrees: f64, bound: f64) {
    if !degrees.is_finite() || degrees.abs() > bound {
        c.fail(field, format!("must be a number of degrees from -{bound} to {bound}, got {degrees}"));
    }
}

/// A JSON number; non-finite values (already reported) become null instead of panicking.
pub(super) fn finite(n: f64) -> Value {
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

pub(super) fn contacts_array(c: &mut Checker<'_>, contacts: &pb::Contacts) -> Value {
    c.count("contacts", contacts.contacts.len(), 1, usize::MAX, "contact card");
    let cards = contacts.contacts.iter().enumerate().map(|(i, card)| contact_card(&mut c.item("contacts", i), card));
    Value::Array(cards.collect())
}

fn contact_card(c: &mut Checker<'_>, card: &pb::ContactCard) -> Value {
    let default_name = pb::ContactName::default();
    let name = card.name.as_ref().unwrap_or(&default_name);
    c.required("name.formatted_name", &name.formatted_name);
    if !card.birthday.is_empty() && !is_date(&card.birthday) {
        c.fail("birthday", format!("must be a date as YYYY-MM-DD, got {}", quoted(&card.birthday)));
    }

    let name = Obj::new()
        .non_empty("formatted_name", &name.formatted_name)
        .non_empty("first_name", &name.first_name)
        .non_empty("last_name", &name.last_name)
        .non_empty("middle_name", &name.middle_name)
        .non_empty("prefix", &name.prefix)
        .non_empty("suffix", &name.suffix);
    let phones = card.phones.iter().map(|p| {
        Obj::new().non_empty("phone", &p.phone).non_empty("type", &p.r#type).non_empty("wa_id", &p.wa_id).build()
    });
    let emails =
        card.emails.iter().map(|e| Obj::new().non_empty("email", &e.email).non_empty("type", &e.r#type).build());
    let urls = card.urls.iter().map(|u| Obj::new().non_empty("url", &u.url).non_empty("type", &u.r#type).build());
    let addresses = card.addresses.iter().map(|a| {
        Obj::new()
            .non_empty("street", &a.street)
            .non_empty("city", &a.city)
            .non_empty("state", &a.state)
            .non_empty("zip", &a.zip)
            .non_empty("country", &a.country)
            .non_empty("country_code", &a.country_code)
            .non_empty("type", &a.r#type)
            .build()
    });
    let org = card.org.as_ref().map(|o| {
        Obj::new().non_empty("company", &o.company).non_empty("department", &o.department).non_empty("title", &o.title)
    });

    Obj::new()
        .set("name", name)
        .maybe("phones", non_empty_array(phones))
        .maybe("emails", non_empty_array(emails))
        .maybe("urls", non_empty_array(urls))
        .maybe("addresses", non_empty_array(addresses))
        .maybe("org", org.filter(|org| !org.is_empty()))
        .non_empty("birthday", &card.birthday)
        .build()
}

fn non_empty_array(items: impl Iterator<Item = Value>) -> Option<Value> {
    let items: Vec<Value> = items.collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::convert::testing::*;

    #[test]
    fn location_matches_sample() {
        let req = send(Kind::Location(pb::Location {
            latitude: 37.7793,
            longitude: -122.4193,
            name: "Market St. store".into(),
            address: "1355 Market St, San Francisco, CA 94103".into(),
        }));
        assert_eq!(body(&req), fixture("send-location-request"));
    }

    #[test]
    fn contacts_match_sample() {
        let card = pb::ContactCard {
            name: Some(pb::ContactName {
                formatted_name: "Customer Care".into(),
                first_name: "Customer".into(),
                last_name: "Care".into(),
                ..Default::default()
            }),
            phones: vec![pb::ContactPhone {
                phone: "+1 555 777 1234".into(),
                r#type: "WORK".into(),
                wa_id: "15557771234".into(),
            }],
            emails: vec![pb::ContactEmail { email: "care@example.com".into(), r#type: "WORK".into() }],
            urls: vec![pb::ContactUrl { url: "https://example.com/help".into(), r#type: "WORK".into() }],
            addresses: vec![pb::ContactAddress {
                street: "1355 Market St".into(),
                city: "San Francisco".into(),
                state: "CA".into(),
                zip: "94103".into(),
                country: "United States".into(),
                country_code: "US".into(),
                r#type: "WORK".into(),
            }],
            org: Some(pb::ContactOrg {
                company: "Example Outfitters".into(),
                department: "Support".into(),
                title: "Help desk".into(),
            }),
            birthday: "2011-05-01".into(),
        };
        let req = send(Kind::Contacts(pb::Contacts { contacts: vec![card] }));
        assert_eq!(body(&req), fixture("send-contacts-request"));
    }

    #[test]
    fn minimal_contact_card_sends_only_its_name() {
        let card = pb::ContactCard {
            name: Some(pb::ContactName { formatted_name: "Ana".into(), ..Default::default() }),
            org: Some(pb::ContactOrg::default()),
            ..Default::default()
        };
        let req = send(Kind::Contacts(pb::Contacts { contacts: vec![card] }));
        assert_eq!(body(&req)["contacts"], json!([{"name": {"formatted_name": "Ana"}}]));
    }

    #[test]
    fn location_coordinates_are_in_range_and_finite() {
        let location =
            |latitude, longitude| send(Kind::Location(pb::Location { latitude, longitude, ..Default::default() }));
        assert!(send_message(&location(-90.0, 180.0)).is_ok());
        assert_eq!(fields(&location(90.5, 0.0)), ["content.location.latitude"]);
        assert_eq!(fields(&location(0.0, -180.5)), ["content.location.longitude"]);
        assert_eq!(
            fields(&location(f64::NAN, f64::INFINITY)),
            ["content.location.latitude", "content.location.longitude"]
        );
        assert_eq!(body(&location(1.5, -2.0))["location"], json!({"latitude": 1.5, "longitude": -2.0}));
    }

    #[test]
    fn contacts_need_cards_with_formatted_names() {
        assert_eq!(fields(&send(Kind::Contacts(pb::Contacts::default()))), ["content.contacts.contacts"]);
        let good = pb::ContactCard {
            name: Some(pb::ContactName { formatted_name: "Ana".into(), ..Default::default() }),
            ..Default::default()
        };
        let nameless = pb::ContactCard { name: None, ..Default::default() };
        let unformatted = pb::ContactCard {
            name: Some(pb::ContactName { first_name: "Ana".into(), ..Default::default() }),
            birthday: "1990-13-01".into(),
            ..Default::default()
        };
        let req = send(Kind::Contacts(pb::Contacts { contacts: vec![good, nameless, unformatted] }));
        assert_eq!(
            fields(&req),
            [
                "content.contacts.contacts[1].name.formatted_name",
                "content.contacts.contacts[2].name.formatted_name",
                "content.contacts.contacts[2].birthday",
            ]
        );
    }
}
