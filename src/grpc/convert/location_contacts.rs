//! Location pins and contact cards.

use super::{
    checker::Checker,
    syntax::{is_date, quoted},
};
use crate::{
    graph::messages::{
        ContactAddress, ContactCard, ContactEmail, ContactName, ContactOrg, ContactPhone, ContactUrl, Location,
    },
    pb,
};

/// A location pin; latitude and longitude go out as JSON numbers.
pub(super) fn location<'a>(c: &mut Checker<'_>, location: &'a pb::Location) -> Location<'a> {
    coordinate(c, "latitude", location.latitude, 90.0);
    coordinate(c, "longitude", location.longitude, 180.0);
    Location {
        latitude: location.latitude,
        longitude: location.longitude,
        name: &location.name,
        address: &location.address,
    }
}

fn coordinate(c: &mut Checker<'_>, field: &str, degrees: f64, bound: f64) {
    if !degrees.is_finite() || degrees.abs() > bound {
        c.fail(field, format!("must be a number of degrees from -{bound} to {bound}, got {degrees}"));
    }
}

/// At least one contact card.
pub(super) fn contact_cards<'a>(c: &mut Checker<'_>, contacts: &'a pb::Contacts) -> Vec<ContactCard<'a>> {
    c.count("contacts", contacts.contacts.len(), 1, usize::MAX, "contact card");
    contacts.contacts.iter().enumerate().map(|(i, card)| contact_card(&mut c.item("contacts", i), card)).collect()
}

fn contact_card<'a>(c: &mut Checker<'_>, card: &'a pb::ContactCard) -> ContactCard<'a> {
    let name = card.name.as_ref().map_or_else(ContactName::default, |name| ContactName {
        formatted_name: &name.formatted_name,
        first_name: &name.first_name,
        last_name: &name.last_name,
        middle_name: &name.middle_name,
        prefix: &name.prefix,
        suffix: &name.suffix,
    });
    c.required("name.formatted_name", name.formatted_name);
    if !card.birthday.is_empty() && !is_date(&card.birthday) {
        c.fail("birthday", format!("must be a date as YYYY-MM-DD, got {}", quoted(&card.birthday)));
    }

    ContactCard {
        name,
        phones: card
            .phones
            .iter()
            .map(|p| ContactPhone { phone: &p.phone, kind: &p.r#type, wa_id: &p.wa_id })
            .collect(),
        emails: card.emails.iter().map(|e| ContactEmail { email: &e.email, kind: &e.r#type }).collect(),
        urls: card.urls.iter().map(|u| ContactUrl { url: &u.url, kind: &u.r#type }).collect(),
        addresses: card
            .addresses
            .iter()
            .map(|a| ContactAddress {
                street: &a.street,
                city: &a.city,
                state: &a.state,
                zip: &a.zip,
                country: &a.country,
                country_code: &a.country_code,
                kind: &a.r#type,
            })
            .collect(),
        // An organisation with nothing set is left out rather than sent as `{}`.
        org: card
            .org
            .as_ref()
            .map(|o| ContactOrg { company: &o.company, department: &o.department, title: &o.title })
            .filter(|org| !org.is_empty()),
        birthday: &card.birthday,
    }
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
