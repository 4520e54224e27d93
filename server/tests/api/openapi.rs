//! The OpenAPI document: the committed `docs/openapi.json` is the generated one, the server serves it,
//! and it names every route under `/api/v1/` with exactly the methods the router answers.

use std::collections::BTreeSet;

use serde_json::Value;
use zegel_core::api::ErrorBody;
use zegel_server::api::openapi::document_json;

use crate::on_both;
use crate::support::TestServer;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");

/// The router's source: every route it declares is a string literal in it.
const ROUTER_SOURCE: &str = include_str!("../../src/api/mod.rs");

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn generated() -> Value {
    serde_json::from_str(&document_json()).unwrap()
}

#[test]
fn the_committed_document_is_the_generated_one() {
    let generated = document_json();
    if std::env::var_os("ZEGEL_UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is not the document the code generates; regenerate it with \
         `ZEGEL_UPDATE_OPENAPI=1 cargo test -p zegel-server --test api openapi` and commit it"
    );
}

#[test]
fn the_document_is_openapi_3_1_with_a_bearer_scheme() {
    let doc = generated();
    assert_eq!(doc["openapi"], "3.1.0");
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    for schema in [
        "Created",
        "MessageRequest",
        "ErrorBody",
        "MessageStatus",
        "TenantSettings",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "no schema {schema}"
        );
    }
}

/// Every operation: its answers, the error body for 4xx, the bearer scheme for senders and admins.
#[test]
fn every_operation_has_its_answers_errors_and_security() {
    let doc = generated();
    let error_ref = "#/components/schemas/ErrorBody";
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let what = format!("{} {path}", method.to_uppercase());
            let responses = operation["responses"].as_object().unwrap();
            let success = responses.keys().any(|status| status.starts_with('2'));
            let error = responses.iter().find(|(status, _)| status.starts_with('4'));
            // The document and tus discovery (`OPTIONS /api/v1/uploads`) answer anyone, never an error.
            if path == "/api/v1/openapi.json" || method == "options" {
                assert!(success, "{what}: no answer");
                continue;
            }
            let (_, error) = error.unwrap_or_else(|| panic!("{what}: no 4xx answer"));
            assert_eq!(
                error["content"]["application/json"]["schema"]["$ref"], error_ref,
                "{what}: the 4xx answer is not the error body"
            );
            // Only the downloads' GET answers nothing but its error.
            assert!(
                success || path.starts_with("/api/v1/access/"),
                "{what}: no 2xx answer"
            );
            let tag = operation["tags"][0].as_str().unwrap();
            let bearer = operation["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            let signed_in = matches!(tag, "senders" | "admin") && path != "/api/v1/policy";
            assert_eq!(bearer, signed_in, "{what}: bearer security");
            if method == "put" || (method == "post" && tag != "access") {
                assert!(
                    operation["requestBody"].is_object(),
                    "{what}: no request body"
                );
            }
        }
    }
    let upload =
        &doc["paths"]["/api/v1/messages"]["post"]["requestBody"]["content"]["multipart/form-data"];
    let parts = &upload["schema"]["properties"];
    assert_eq!(parts["meta"]["$ref"], "#/components/schemas/MessageRequest");
    assert_eq!(parts["file"]["items"]["format"], "binary", "{upload}");
    assert_eq!(
        upload["encoding"]["meta"]["contentType"],
        "application/json"
    );
}

/// A path of the document with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{email}", "a%40b.example")
        .replace("{version}", "1")
        .replace(['{', '}'], "")
}

on_both!(every_route_is_documented, every_route_is_documented_on);
async fn every_route_is_documented_on(server: TestServer) {
    let doc = generated();
    let paths = doc["paths"].as_object().unwrap();

    // Served as generated, without signing in.
    let response = server
        .client
        .get(format!("{}/api/v1/openapi.json", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.unwrap(), document_json());

    // Every path the router declares is in the document.
    let declared: BTreeSet<&str> = ROUTER_SOURCE
        .split('"')
        .filter(|s| s.starts_with("/api/v1/"))
        .collect();
    assert!(declared.len() > 20, "{declared:?}");
    for path in &declared {
        assert!(paths.contains_key(*path), "{path} is not in the document");
    }

    // Each path has exactly the methods the router answers: a method it does not route is a bare
    // `405`; a routed one answers anything else (without sign-in, nothing happens).
    for (path, item) in paths {
        assert!(declared.contains(path.as_str()), "{path} is not routed");
        let url = format!("{}{}", server.base, concrete(path));
        let documented: BTreeSet<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|m| METHODS.contains(m))
            .collect();
        let mut routed = BTreeSet::new();
        for method in METHODS {
            let response = server
                .client
                .request(method.to_uppercase().parse().unwrap(), &url)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            if status != 405 || serde_json::from_str::<ErrorBody>(&body).is_ok() {
                routed.insert(method);
            }
        }
        assert_eq!(documented, routed, "{path}: documented and routed methods");
    }
}
