//! Open311 GeoReport v2 service requests (`POST /open311/v2/requests`), as
//! hotline systems and civic clients send them: form parameters, read once
//! here into the client's `api_key` and a [`ConcernForm`], which is then
//! checked as a resident's concern from the board is. A parameter the
//! specification does not define, or an `attribute[…]` (no service of ours
//! has attributes), is refused rather than dropped: a client must learn
//! that what it sent was not kept.

use crate::concern::ConcernForm;

/// The parameters GeoReport v2 defines for a service request.
const KNOWN: &[&str] = &[
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
];

/// Why a service request is refused (Open311 answers it as 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A parameter the specification does not define.
    #[error("unknown parameter {0:?}")]
    Unknown(String),
    /// An `attribute[…]`: no service here has attributes.
    #[error("{0:?}: the services here have no attributes (metadata false)")]
    Attribute(String),
    /// A parameter given twice.
    #[error("parameter {0:?} given twice")]
    Repeated(String),
    /// A required parameter missing.
    #[error("{0} is required")]
    Missing(&'static str),
}

/// A service request read: who sent it (the `api_key`) and the concern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRequest {
    /// The client's key, as given.
    pub api_key: String,
    /// The concern, to be checked against the catalogue.
    pub form: ConcernForm,
}

/// Reads a service request's parameters. `service_code` is a category
/// (`public-affairs`) or a category's sub-item (`public-affairs:为老服务`),
/// as `services.json` lists them; the location is the address, else the
/// coordinates; the requester's name, phone and e-mail become the
/// concern's contact, kept on the node only.
pub fn service_request(params: &[(String, String)]) -> Result<ServiceRequest, RequestError> {
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in params {
        if name.starts_with("attribute[") {
            return Err(RequestError::Attribute(name.clone()));
        }
        if !KNOWN.contains(&name.as_str()) {
            return Err(RequestError::Unknown(name.clone()));
        }
        if seen.contains(&name.as_str()) {
            return Err(RequestError::Repeated(name.clone()));
        }
        seen.push(name);
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.trim())
    };
    let api_key = get("api_key");
    if api_key.is_empty() {
        return Err(RequestError::Missing("api_key"));
    }
    let code = get("service_code");
    if code.is_empty() {
        return Err(RequestError::Missing("service_code"));
    }
    let (category, sub_item) = code.split_once(':').unwrap_or((code, ""));
    let place = match (get("address_string"), get("lat"), get("long")) {
        ("", "", _) | ("", _, "") => {
            return Err(RequestError::Missing(
                "a location (address_string, or lat and long)",
            ));
        }
        ("", lat, long) => format!("{lat},{long}"),
        (address, _, _) => address.to_owned(),
    };
    let mut what = get("description").to_owned();
    if !get("media_url").is_empty() {
        what.push_str(&format!("\n附件：{}", get("media_url")));
    }
    let name = format!("{}{}", get("last_name"), get("first_name"));
    let contact = [name.as_str(), get("phone"), get("email")]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(ServiceRequest {
        api_key: api_key.to_owned(),
        form: ConcernForm {
            what,
            place,
            category: category.to_owned(),
            sub_item: sub_item.to_owned(),
            contact,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_request_reads_into_a_concern_and_anything_unknown_is_refused() {
        let read = service_request(&params(&[
            ("api_key", "k"),
            ("service_code", "public-affairs:为老服务"),
            ("lat", "36.65"),
            ("long", "117.02"),
            ("description", "楼道灯坏了"),
            ("last_name", "王"),
            ("phone", "13700000000"),
        ]))
        .unwrap();
        assert_eq!(read.form.category, "public-affairs");
        assert_eq!(read.form.sub_item, "为老服务");
        assert_eq!(read.form.place, "36.65,117.02");
        assert_eq!(read.form.contact, "王 13700000000");
        let base = [
            ("api_key", "k"),
            ("service_code", "daily-life"),
            ("address_string", "三号楼"),
        ];
        let with = |extra: (&str, &str)| {
            let mut list = base.to_vec();
            list.push(extra);
            service_request(&params(&list))
        };
        assert_eq!(
            with(("colour", "red")),
            Err(RequestError::Unknown("colour".into()))
        );
        assert_eq!(
            with(("attribute[WHISPAY]", "1")),
            Err(RequestError::Attribute("attribute[WHISPAY]".into()))
        );
        assert_eq!(
            with(("api_key", "again")),
            Err(RequestError::Repeated("api_key".into()))
        );
        assert_eq!(
            service_request(&params(&base[1..])),
            Err(RequestError::Missing("api_key"))
        );
        assert!(matches!(
            service_request(&params(&base[..2])),
            Err(RequestError::Missing(_))
        ));
    }
}
