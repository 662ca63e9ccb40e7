//! The sample API Gateway events in `events/` and the routes of
//! `template.yaml` agree with the routing table the handlers serve.

use std::collections::BTreeSet;
use std::path::PathBuf;

use intake_http::ROUTES;
use lambda_http::RequestExt;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn routes() -> BTreeSet<(String, String)> {
    ROUTES
        .iter()
        .map(|(method, resource, _)| (method.to_string(), (*resource).to_owned()))
        .collect()
}

#[test]
fn every_sample_event_is_a_request_of_a_known_route() {
    let directory = repo_root().join("events/apigw");
    let mut seen = 0;
    for entry in std::fs::read_dir(&directory).expect("events/apigw") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("event file");
        let event: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let request = lambda_http::request::from_str(&text).unwrap_or_else(|error| {
            panic!("{}: not an API Gateway event: {error}", path.display())
        });
        let resource = event["resource"].as_str().expect("resource").to_owned();
        let method = request.method().to_string();
        assert!(
            routes().contains(&(method.clone(), resource.clone())),
            "{}: {method} {resource} is not a route",
            path.display()
        );
        if resource.contains("{id}") {
            let id = request.path_parameters_ref().and_then(|p| p.first("id"));
            assert!(
                id.is_some_and(|id| !id.is_empty()),
                "{}: no id",
                path.display()
            );
        }
        assert!(
            request.headers().contains_key("x-api-key"),
            "{}",
            path.display()
        );
        seen += 1;
    }
    assert!(seen >= ROUTES.len(), "only {seen} sample events");
}

#[test]
fn the_template_declares_exactly_the_routes_the_handlers_serve() {
    let template =
        std::fs::read_to_string(repo_root().join("template.yaml")).expect("template.yaml");
    let lines: Vec<&str> = template.lines().map(str::trim).collect();
    let declared: BTreeSet<(String, String)> = lines
        .windows(2)
        .filter_map(|pair| {
            let path = pair[0].strip_prefix("Path: ")?;
            let method = pair[1].strip_prefix("Method: ")?;
            Some((method.to_ascii_uppercase(), path.to_owned()))
        })
        .collect();
    let (other_methods, declared): (BTreeSet<_>, BTreeSet<_>) = declared
        .into_iter()
        .partition(|(method, _)| method == "ANY");
    assert_eq!(declared, routes());
    // Every resource has its ANY method (405 for the methods it lacks).
    let resources: BTreeSet<String> = routes().into_iter().map(|(_, path)| path).collect();
    let with_any: BTreeSet<String> = other_methods.into_iter().map(|(_, path)| path).collect();
    assert_eq!(with_any, resources);
}

#[test]
fn every_function_of_the_template_is_a_crate_of_the_workspace() {
    let template =
        std::fs::read_to_string(repo_root().join("template.yaml")).expect("template.yaml");
    let binaries: BTreeSet<String> = template
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Binary: "))
        .map(str::to_owned)
        .collect();
    // And every function crate is deployed: one crate per Lambda, both ways.
    let crates: BTreeSet<String> = std::fs::read_dir(repo_root().join("functions"))
        .expect("functions/")
        .map(|entry| entry.expect("an entry of functions/").path())
        .filter(|path| path.join("Cargo.toml").exists())
        .filter_map(|path| Some(path.file_name()?.to_str()?.to_owned()))
        .collect();
    assert_eq!(binaries, crates);
    assert!(binaries.contains("reconcile"), "{binaries:?}");
}

#[test]
fn a_resources_any_method_answers_405_with_its_own_methods() {
    // Arrange: API Gateway's event of `PUT /jobs/{id}` (its ANY method).
    let text =
        std::fs::read_to_string(repo_root().join("events/apigw/get-job.json")).expect("event file");
    let text = text.replace("\"httpMethod\": \"GET\"", "\"httpMethod\": \"PUT\"");
    let request = lambda_http::request::from_str(&text).expect("event");
    assert_eq!(request.method(), "PUT");

    // Act
    let response = intake_http::answer_other_method(&request);

    // Assert
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, DELETE");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}
