//! HTTP tests against the real router in-process, on SQLite and (when configured) PostgreSQL:
//! authentication, scoping (404 outside one's territory), CSRF, security headers, sessions,
//! bad input and the OpenAPI document.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use app::App;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct Harness {
    router: Router,
    app: App,
    _db: store::testing::TestDatabase,
}

async fn harness(backend: &str) -> Harness {
    let db = store::testing::fresh(backend).await.unwrap();
    // The per-client login throttle has its own test; here every login comes from one client.
    let security = app::auth::SecuritySettings { login_burst_per_client: 10_000, ..Default::default() };
    let app = App::new(db.store.clone(), security);
    demo::load_with(&app, 120).await.unwrap();
    let router = web::router(app.clone(), crate::support::local_settings());
    Harness { router, app, _db: db }
}

#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap_or("").to_owned())
    }
}

async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply { status, headers, body }
}

/// The user's current one-time code, if it has a second factor. These tests log the same
/// account in several times within one 30-second step, so the record of the last code used is
/// cleared first; `totp_replay` tests the replay protection itself.
async fn fresh_totp(app: &App, username: &str) -> String {
    let Some(user) = app.store.user_by_username(username).await.unwrap() else { return String::new() };
    let Some(secret) = user.totp_secret else { return String::new() };
    app.store.execute_raw_for_tests(&format!("UPDATE users SET totp_last_step = NULL WHERE id = {}", user.id)).await.unwrap();
    app::auth::current_totp(&secret).unwrap()
}

async fn token(h: &Harness, username: &str) -> String {
    let mut body = json!({"username": username, "password": demo::DEMO_PASSWORD});
    let code = fresh_totp(&h.app, username).await;
    if !code.is_empty() {
        body["totp"] = json!(code);
    }
    let reply =
        send(&h.router, Request::post("/api/v1/auth/login").header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK, "{username}: {}", reply.text());
    reply.json()["token"].as_str().unwrap().to_owned()
}

/// Reads `path` as the holder of `token`: an API path with the token, a page in a session of
/// the token's owner (pages take no tokens), opened with the demo password.
async fn get(h: &Harness, path: &str, token: &str) -> Reply {
    if path.starts_with("/api/") {
        return send(&h.router, Request::get(path).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap()).await;
    }
    let owner = h.app.actor_for_token(token).await.unwrap().expect("a live token").username;
    let code = fresh_totp(&h.app, &owner).await;
    let cookie = form_login(&h.router, &owner, demo::DEMO_PASSWORD, &code).await.unwrap_or_else(|reply| panic!("{owner}: {}", reply.text()));
    page(&h.router, path, &cookie).await
}

async fn all_enterprises(h: &Harness, token: &str) -> Vec<Value> {
    let reply = get(h, "/api/v1/enterprises?per_page=200", token).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.json()["items"].as_array().unwrap().clone()
}

async fn scoping_and_roles(h: &Harness) {
    let office = token(h, "office").await;
    let changchun = token(h, "changchun").await;
    let chaoyang = token(h, "chaoyang").await;
    let enterprise = token(h, "enterprise").await;
    let sysadmin = token(h, "sysadmin").await;

    let everything = all_enterprises(h, &office).await;
    assert_eq!(everything.len(), 120);
    let mine = all_enterprises(h, &changchun).await;
    assert!(!mine.is_empty() && mine.len() < everything.len());
    assert!(mine.iter().all(|e| e["region_code"].as_str().unwrap().starts_with("2201")), "changchun sees only 长春市");
    let outside = everything.iter().find(|e| !e["region_code"].as_str().unwrap().starts_with("2201")).unwrap();
    let outside_id = outside["id"].as_i64().unwrap();
    assert_eq!(get(h, &format!("/api/v1/enterprises/{outside_id}"), &changchun).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(h, &format!("/api/v1/enterprises/{outside_id}"), &office).await.status, StatusCode::OK);
    let probes = h
        .app
        .store
        .audit_page(&store::AuditFilter { action_prefix: Some("enterprise.read".into()), outcome: Some("denied".into()), ..Default::default() }, 10, 0)
        .await
        .unwrap();
    assert!(
        probes.entries.iter().any(|e| e.actor_name == "changchun" && e.target == format!("enterprise:{outside_id}")),
        "an out-of-scope read is recorded for the auditor"
    );
    assert_eq!(get(h, "/api/v1/enterprises/999999", &office).await.json()["code"], "not_found");
    assert!(all_enterprises(h, &chaoyang).await.iter().all(|e| e["region_code"] == "220104"));
    let own = all_enterprises(h, &enterprise).await;
    assert_eq!(own.len(), 1, "an enterprise user sees its own enterprise only");
    let reply = get(h, "/api/v1/enterprises", &sysadmin).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "the system administrator has no business data");

    // Writes: a regulator cannot create outside its territory (told by field: region codes are
    // public); an enterprise cannot move itself.
    let mut fields = app::enterprises::sample_enterprise();
    fields.credit_code = domain::CreditCode::complete("91220202MA17XK3Q1").unwrap().to_string();
    fields.name = "吉林市测试有限公司".into();
    fields.region_code = "220202".into();
    let create = |token: &str, body: Value| {
        Request::post("/api/v1/enterprises")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let reply = send(&h.router, create(&changchun, serde_json::to_value(&fields).unwrap())).await;
    assert_eq!((reply.status, reply.json()["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("region_code")));
    assert_eq!(send(&h.router, create(&office, serde_json::to_value(&fields).unwrap())).await.status, StatusCode::CREATED);
    let mut bad = fields.clone();
    bad.credit_code = "91220202MA17XK3Q10".into();
    bad.name = "<script>alert(1)</script>".into();
    let reply = send(&h.router, create(&office, serde_json::to_value(&bad).unwrap())).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json()["code"], "validation_failed");
    assert_eq!(reply.json()["fields"][0]["field"], "credit_code");
    let mut unknown_region = fields.clone();
    unknown_region.credit_code = domain::CreditCode::complete("91220202MA17XK3Q2").unwrap().to_string();
    unknown_region.region_code = "229999".into();
    let reply = send(&h.router, create(&office, serde_json::to_value(&unknown_region).unwrap())).await;
    assert_eq!((reply.status, reply.json()["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("region_code")));

    let own_id = own[0]["id"].as_i64().unwrap();
    let detail = get(h, &format!("/api/v1/enterprises/{own_id}"), &enterprise).await.json();
    let mut moved = detail["fields"].clone();
    moved["region_code"] = json!("220202");
    let update = Request::put(format!("/api/v1/enterprises/{own_id}"))
        .header(header::AUTHORIZATION, format!("Bearer {enterprise}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"version": detail["version"], "fields": moved}).to_string()))
        .unwrap();
    assert_eq!(send(&h.router, update).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut renamed = detail["fields"].clone();
    renamed["address"] = json!("新地址 <b>1</b>");
    let update = |version: &Value| {
        Request::put(format!("/api/v1/enterprises/{own_id}"))
            .header(header::AUTHORIZATION, format!("Bearer {enterprise}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"version": version, "fields": renamed}).to_string()))
            .unwrap()
    };
    assert_eq!(send(&h.router, update(&detail["version"])).await.status, StatusCode::NO_CONTENT);
    assert_eq!(send(&h.router, update(&detail["version"])).await.status, StatusCode::CONFLICT, "stale version");

    // Regions and map counts.
    let regions = get(h, "/api/v1/regions", &office).await.json();
    assert_eq!(regions[0]["code"], "220000");
    assert_eq!(regions[0]["children"].as_array().unwrap().len(), 9);
    let counts = get(h, "/api/v1/regions/220000/enterprise-counts", &changchun).await.json();
    let visible: i64 = counts.as_array().unwrap().iter().map(|c| c["count"].as_i64().unwrap()).sum();
    assert_eq!(visible as usize, mine.len());
}

async fn authentication(h: &Harness) {
    let login = |body: Value| Request::post("/api/v1/auth/login").header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap();
    let reply = send(&h.router, login(json!({"username": "office", "password": "wrong-password"}))).await;
    assert_eq!((reply.status, reply.json()["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")));
    let reply = send(&h.router, login(json!({"username": "auditor", "password": demo::DEMO_PASSWORD}))).await;
    assert_eq!(reply.json()["code"], "second_factor_required", "administrators need a second factor");
    let reply = send(&h.router, login(json!({"username": "auditor", "password": demo::DEMO_PASSWORD, "totp": "000000"}))).await;
    assert_eq!(reply.json()["code"], "second_factor_invalid");
    assert_eq!(send(&h.router, Request::get("/api/v1/enterprises").body(Body::empty()).unwrap()).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(get(h, "/api/v1/enterprises", "anw_forged").await.status, StatusCode::UNAUTHORIZED);

    // After repeated failures from one client, that client waits (answered as a wrong password,
    // so a locked-out account cannot be told from a wrong guess); other clients are unaffected,
    // the account is not locked and its sessions live on.
    let from = |address: &str, body: Value| {
        let mut request = login(body);
        request.extensions_mut().insert(axum::extract::ConnectInfo(address.parse::<std::net::SocketAddr>().unwrap()));
        request
    };
    let session = form_login(&h.router, "jilinshi", demo::DEMO_PASSWORD, "").await.unwrap();
    let wrong = send(&h.router, from("203.0.113.9:4000", json!({"username": "jilinshi", "password": "wrong-password"}))).await;
    for _ in 0..5 {
        send(&h.router, from("203.0.113.9:4000", json!({"username": "jilinshi", "password": "wrong-password"}))).await;
    }
    let waiting = send(&h.router, from("203.0.113.9:4001", json!({"username": "jilinshi", "password": demo::DEMO_PASSWORD}))).await;
    let unknown = send(&h.router, from("203.0.113.9:4000", json!({"username": "no-such-user", "password": "wrong-password"}))).await;
    assert_eq!((waiting.status, waiting.json()["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")), "the right password waits too");
    assert_eq!(waiting.body, wrong.body, "waiting, wrong and unknown answer alike");
    assert_eq!(unknown.body, wrong.body, "waiting, wrong and unknown answer alike");
    let elsewhere = send(&h.router, from("198.51.100.7:5000", json!({"username": "jilinshi", "password": demo::DEMO_PASSWORD}))).await;
    assert_eq!(elsewhere.status, StatusCode::OK, "another client logs in: nobody can lock someone else out");
    assert_eq!(page(&h.router, "/profile", &session).await.status, StatusCode::OK, "open sessions survive failed logins");
    // IPv6 clients are counted by their /64: the neighbour in the same network waits as well.
    for _ in 0..6 {
        send(&h.router, from("[2001:db8:1:2::10]:4000", json!({"username": "yjt", "password": "wrong-password"}))).await;
    }
    let neighbour = send(&h.router, from("[2001:db8:1:2::99]:4000", json!({"username": "yjt", "password": demo::DEMO_PASSWORD}))).await;
    assert_eq!(neighbour.status, StatusCode::UNAUTHORIZED, "the same /64 shares the wait");
    let other_network = send(&h.router, from("[2001:db8:1:3::10]:4000", json!({"username": "yjt", "password": demo::DEMO_PASSWORD}))).await;
    assert_eq!(other_network.status, StatusCode::OK);
    // What was typed as a user name is not recorded for unknown users (it may be a password).
    let unknown_entries = h.app.store.audit_page(&store::AuditFilter { action_prefix: Some("auth.login".into()), ..Default::default() }, 200, 0).await.unwrap();
    assert!(unknown_entries.entries.iter().all(|e| !e.target.contains("no-such-user") && !e.details.contains("no-such-user")), "typed names are not logged");

    // Malformed and oversized bodies.
    let reply =
        send(&h.router, Request::post("/api/v1/auth/login").header(header::CONTENT_TYPE, "application/json").body(Body::from("{not json")).unwrap()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let huge = format!("{{\"username\":\"{}\",\"password\":\"x\"}}", "a".repeat(2 * 1024 * 1024));
    let reply = send(&h.router, Request::post("/api/v1/auth/login").header(header::CONTENT_TYPE, "application/json").body(Body::from(huge)).unwrap()).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

async fn browser_session(h: &Harness) {
    // The login page writes no session for an anonymous visitor.
    let page = send(&h.router, Request::get("/login").body(Body::empty()).unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    for (name, expected) in [
        ("content-security-policy", "script-src 'self'"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        let value = page.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(value.contains(expected), "{name}: {value}");
    }
    assert!(page.headers.get("content-security-policy").unwrap().to_str().unwrap().contains("frame-ancestors 'none'"));
    assert!(page.cookie("anwei_session").is_none(), "no session cookie for an anonymous visitor");
    let anonymous_rows: i64 = h.app.store.count_for_tests("SELECT COUNT(*) FROM sessions WHERE user_id IS NULL").await.unwrap();
    assert_eq!(anonymous_rows, 0, "and no session row");

    let form = |body: String| Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(body)).unwrap();
    // From another site, the login is refused (login CSRF).
    let mut cross_site = form("username=office&password=anwei-demo".into());
    cross_site.headers_mut().insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(send(&h.router, cross_site).await.status, StatusCode::FORBIDDEN);
    let mut other_origin = form("username=office&password=anwei-demo".into());
    other_origin.headers_mut().insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    other_origin.headers_mut().insert(header::HOST, "anwei.example".parse().unwrap());
    assert_eq!(send(&h.router, other_origin).await.status, StatusCode::FORBIDDEN);

    let mut reply = send(&h.router, form("username=office&password=anwei-demo&totp=".into())).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let set_cookie = reply.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let anonymous = "anwei_session=never-issued".to_owned();
    reply.status = StatusCode::SEE_OTHER;
    let logged_in = reply.cookie("anwei_session").expect("a new session id at login");
    assert_ne!(logged_in, anonymous);
    let home = send(&h.router, Request::get("/").header(header::COOKIE, &logged_in).body(Body::empty()).unwrap()).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text().contains("id=\"region-map\""));
    // An id the server never issued carries no login.
    let stale = send(&h.router, Request::get("/").header(header::COOKIE, &anonymous).body(Body::empty()).unwrap()).await;
    assert_eq!(stale.status, StatusCode::SEE_OTHER);

    // A request is authenticated by one means: with an Authorization header the cookie beside
    // it is ignored, so a cross-site post carrying the header and the cookie but no CSRF token
    // acts as nobody.
    for authorization in ["Basic b2ZmaWNlOmFud2VpLWRlbW8=", "Bearer anw_forged", "Negotiate abc"] {
        let forged = Request::post("/api/v1/hidden-dangers")
            .header(header::COOKIE, &logged_in)
            .header(header::AUTHORIZATION, authorization)
            .header(header::CONTENT_TYPE, "application/json")
            .header("sec-fetch-site", "cross-site")
            .body(Body::from(json!({"location": "x", "description": "forged"}).to_string()))
            .unwrap();
        assert_eq!(send(&h.router, forged).await.status, StatusCode::UNAUTHORIZED, "{authorization}: the cookie is not used");
        let page_with_header =
            Request::get("/enterprises").header(header::COOKIE, &logged_in).header(header::AUTHORIZATION, authorization).body(Body::empty()).unwrap();
        assert_eq!(send(&h.router, page_with_header).await.status, StatusCode::UNAUTHORIZED, "{authorization}: pages are for sessions only");
    }
    // Logging out acts on the cookie: an Authorization header does not carry a cross-site post
    // past the CSRF check.
    let logout = Request::post("/logout")
        .header(header::COOKIE, &logged_in)
        .header(header::AUTHORIZATION, "Basic b2ZmaWNlOmFud2VpLWRlbW8=")
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&h.router, logout).await.status, StatusCode::FORBIDDEN);
    let office_token = token(h, "office").await;
    let page_by_token = Request::get("/enterprises").header(header::AUTHORIZATION, format!("Bearer {office_token}")).body(Body::empty()).unwrap();
    assert_eq!(send(&h.router, page_by_token).await.status, StatusCode::UNAUTHORIZED, "a live token opens no page");

    // Injection strings are stored verbatim and rendered escaped.
    let list = send(&h.router, Request::get("/enterprises?q=%3Cscript%3E").header(header::COOKIE, &logged_in).body(Body::empty()).unwrap()).await;
    let text = list.text();
    assert!((text.contains("&lt;script&gt;") || text.contains("&#60;script&#62;")) && !text.contains("<script>"), "the query is escaped");

    // Exports: CSV with BOM, and XLSX, both audited.
    let csv = send(&h.router, Request::get("/enterprises/export.csv").header(header::COOKIE, &logged_in).body(Body::empty()).unwrap()).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with("\u{feff}统一社会信用代码".as_bytes()));
    let xlsx = send(&h.router, Request::get("/enterprises/export.xlsx").header(header::COOKIE, &logged_in).body(Body::empty()).unwrap()).await;
    assert!(xlsx.body.starts_with(b"PK"), "an XLSX is a zip");

    // Logout ends the session on the server.
    let logout_page = send(&h.router, Request::get("/enterprises").header(header::COOKIE, &logged_in).body(Body::empty()).unwrap()).await;
    let csrf = logout_page.text().split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let logout = Request::post("/logout")
        .header(header::COOKIE, &logged_in)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("_csrf={csrf}")))
        .unwrap();
    assert_eq!(send(&h.router, logout).await.status, StatusCode::SEE_OTHER);
    let after = send(&h.router, Request::get("/").header(header::COOKIE, &logged_in).body(Body::empty()).unwrap()).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "the session is gone after logout");
}

async fn audit_log_access(h: &Harness) {
    // The system administrator cannot read the audit log; the auditor can, in a session opened
    // with a second factor, and not with a token.
    let sysadmin = admin_session(h, "sysadmin").await;
    assert_eq!(page(&h.router, "/audit", &sysadmin).await.status, StatusCode::NOT_FOUND);
    let denied = h.app.store.audit_page(&store::AuditFilter { action_prefix: Some("audit.read".into()), ..Default::default() }, 10, 0).await.unwrap();
    assert!(denied.entries.iter().any(|e| e.outcome == "denied" && e.actor_name == "sysadmin"), "the refusal is audited");
    let auditor = admin_session(h, "auditor").await;
    assert_eq!(page(&h.router, "/audit", &auditor).await.status, StatusCode::OK);
    let auditor_token = token(h, "auditor").await;
    let by_token = Request::get("/audit").header(header::AUTHORIZATION, format!("Bearer {auditor_token}")).body(Body::empty()).unwrap();
    assert_eq!(send(&h.router, by_token).await.status, StatusCode::UNAUTHORIZED, "no administrator function by token");
    assert!(h.app.store.verify_audit_chain().await.unwrap().is_ok());
}

/// A session of an administrator, opened with its password and a one-time code.
async fn admin_session(h: &Harness, username: &str) -> String {
    let code = fresh_totp(&h.app, username).await;
    form_login(&h.router, username, demo::DEMO_PASSWORD, &code).await.unwrap_or_else(|reply| panic!("{username}: {}", reply.text()))
}

/// The operations the source declares (`#[utoipa::path(` attributes under `src/`), counted from
/// the files so that a new module's operations are expected without editing this test.
fn documented_operations() -> usize {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    crate::source_files::rust_sources(&src).iter().map(|(_, text)| text.matches("#[utoipa::path(").count()).sum()
}

async fn openapi(h: &Harness) {
    let reply = send(&h.router, Request::get("/api/v1/openapi.json").body(Body::empty()).unwrap()).await;
    let document = reply.json();
    for path in ["/api/v1/enterprises", "/api/v1/enterprises/{id}", "/api/v1/regions", "/api/v1/auth/login"] {
        assert!(document["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    // The document describes the server: a path parameter appears in the path, every secured
    // operation documents 401 and 503, bodies and answers are schemas rather than bare objects,
    // and every schema an operation refers to is in the document.
    let text = reply.text();
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "path" {
                    let name = parameter["name"].as_str().unwrap();
                    assert!(path.contains(&format!("{{{name}}}")), "{method} {path}: {name} is declared in the path but is not in it");
                }
            }
            let answers = operation["responses"].as_object().unwrap();
            if operation["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(answers.contains_key("401"), "{method} {path} does not document 401");
            }
            assert!(answers.contains_key("503"), "{method} {path} does not document 503");
            let body = &operation["requestBody"]["content"]["application/json"]["schema"];
            assert!(body.is_null() || body["$ref"].is_string() || body["items"]["$ref"].is_string(), "{method} {path}: the body is no schema: {body}");
        }
    }
    assert_eq!(operations, documented_operations(), "every #[utoipa::path] operation of the source is in the document");
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(document["components"]["schemas"][name].is_object(), "the document refers to a schema {name} it does not hold");
    }
    assert!(!text.contains("\"type\":\"object\"}"), "a bare object schema is left in the document");
    assert_eq!(send(&h.router, Request::get("/healthz").body(Body::empty()).unwrap()).await.status, StatusCode::OK);
    let missing = send(&h.router, Request::get("/no/such/page").body(Body::empty()).unwrap()).await;
    assert_eq!((missing.status, missing.json()["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let asset = send(&h.router, Request::get("/assets/vendor/htmx.min.js").body(Body::empty()).unwrap()).await;
    assert_eq!(asset.status, StatusCode::OK);
    for next in ["//evil.example", "/%09/evil.example", "/%0a/evil.example", "/%5C/evil.example", "%2F%2Fevil.example", "https://evil.example"] {
        let lang = send(&h.router, Request::get(format!("/lang/en?next={next}")).body(Body::empty()).unwrap()).await;
        assert_eq!(lang.headers.get(header::LOCATION).unwrap(), "/", "no open redirect via {next}");
    }
    let lang = send(&h.router, Request::get("/lang/en?next=/enterprises%3Fpage%3D2").body(Body::empty()).unwrap()).await;
    assert_eq!(lang.headers.get(header::LOCATION).unwrap(), "/enterprises?page=2", "a local path is kept");
}

/// Logs in through the login form; returns the session cookie.
async fn form_login(router: &Router, username: &str, password: &str, totp: &str) -> Result<String, Reply> {
    let body = serde_urlencoded::to_string([("username", username), ("password", password), ("totp", totp)]).unwrap();
    let reply = send(
        router,
        Request::post("/login")
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    if reply.status == StatusCode::SEE_OTHER { Ok(reply.cookie("anwei_session").unwrap()) } else { Err(reply) }
}

/// Changes the password on the profile page (the new one typed twice).
async fn change_password(router: &Router, cookie: &str, current: &str, new: &str) -> Reply {
    post_form(router, cookie, "/profile/password", &[("current_password", current), ("new_password", new), ("confirm_password", new)]).await
}

fn csrf_of(html: &str) -> String {
    html.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}

async fn page(router: &Router, path: &str, cookie: &str) -> Reply {
    send(router, Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await
}

/// Posts a form from a logged-in page, with the page's CSRF token.
async fn post_form(router: &Router, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
    let csrf = csrf_of(&page(router, "/profile", cookie).await.text());
    let mut all = vec![("_csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let body = serde_urlencoded::to_string(&all).unwrap();
    send(
        router,
        Request::post(path).header(header::COOKIE, cookie).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(body)).unwrap(),
    )
    .await
}

async fn sessions_and_passwords(h: &Harness) {
    let password = demo::DEMO_PASSWORD;
    let first = form_login(&h.router, "inspector", password, "").await.unwrap();
    let second = form_login(&h.router, "inspector", password, "").await.unwrap();
    assert_eq!(page(&h.router, "/profile", &second).await.status, StatusCode::OK);

    // The idle deadline slides with use: the stored expiry is about now + the idle timeout.
    let user_id = h.app.store.user_by_username("inspector").await.unwrap().unwrap().id;
    let idle_ms = h.app.security.session_idle_minutes * 60_000;
    let sessions = h.app.store.sessions_of_user(user_id, store::now_ms()).await.unwrap();
    assert_eq!(sessions.len(), 2);
    for session in &sessions {
        let remaining = session.expires_at - store::now_ms();
        assert!(remaining > idle_ms - 60_000 && remaining <= idle_ms, "expiry {remaining} ms away");
        assert_eq!(session.id.len(), 64, "sessions are stored under a hash of their id");
        assert!(!first.contains(&session.id) && !second.contains(&session.id));
    }

    // Reading makes no durable write: pages and the API read with this session leave its stored
    // expiry where it was (it moves only by more than a minute) and add no audit entry.
    let expiries = |sessions: Vec<app::sessions::SessionRow>| sessions.into_iter().map(|s| (s.id, s.expires_at)).collect::<std::collections::BTreeMap<_, _>>();
    let stored_before = expiries(h.app.store.sessions_of_user(user_id, store::now_ms()).await.unwrap());
    let audit_before = h.app.store.audit_head().await.unwrap();
    for path in ["/", "/profile", "/enterprises", "/dangers", "/inbox", "/api/v1/me"] {
        assert_eq!(page(&h.router, path, &second).await.status, StatusCode::OK, "{path}");
    }
    assert_eq!(expiries(h.app.store.sessions_of_user(user_id, store::now_ms()).await.unwrap()), stored_before, "no session write on a read");
    assert_eq!(h.app.store.audit_head().await.unwrap(), audit_before, "no audit entry on a read");

    // Changing the password ends the other session and keeps this one.
    let reply = change_password(&h.router, &first, password, "长白山天池的水很清").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert_eq!(page(&h.router, "/profile", &first).await.status, StatusCode::OK, "the changing session survives");
    assert_eq!(page(&h.router, "/profile", &second).await.status, StatusCode::SEE_OTHER, "the other session has ended");
    assert!(form_login(&h.router, "inspector", password, "").await.is_err(), "the old password no longer works");
    let third = form_login(&h.router, "inspector", "长白山天池的水很清", "").await.unwrap();

    // A session past its idle deadline is gone.
    h.app.store.execute_raw_for_tests(&format!("UPDATE sessions SET expires_at = 1 WHERE user_id = {user_id}")).await.unwrap();
    assert_eq!(page(&h.router, "/profile", &third).await.status, StatusCode::SEE_OTHER, "an idle session expires");
    assert_eq!(page(&h.router, "/profile", &first).await.status, StatusCode::SEE_OTHER);

    // Bad input on the profile: mismatched and common passwords are refused with a reason.
    let fourth = form_login(&h.router, "inspector", "长白山天池的水很清", "").await.unwrap();
    let reply = change_password(&h.router, &fourth, "长白山天池的水很清", "password123").await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.text().contains("常见"), "names the problem");

    // Second factor: enrol with a real code from the shown secret; the next login needs it.
    let shown = post_form(&h.router, &fourth, "/profile/totp/begin", &[]).await;
    assert!(shown.text().contains("data:image/svg+xml;base64,"), "a QR code is shown");
    let secret = shown.text().split("id=\"secret-value\" class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let wrong = post_form(&h.router, &fourth, "/profile/totp/confirm", &[("code", "000000"), ("password", "长白山天池的水很清")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = app::auth::current_totp(&secret).unwrap();
    let without_password = post_form(&h.router, &fourth, "/profile/totp/confirm", &[("code", code.as_str()), ("password", "not the password")]).await;
    assert_eq!(without_password.status, StatusCode::UNPROCESSABLE_ENTITY, "a second factor is not enrolled without the password");
    assert!(h.app.store.user_by_username("inspector").await.unwrap().unwrap().totp_secret.is_none());
    assert_eq!(
        post_form(&h.router, &fourth, "/profile/totp/confirm", &[("code", code.as_str()), ("password", "长白山天池的水很清")]).await.status,
        StatusCode::SEE_OTHER
    );
    let needs_code = form_login(&h.router, "inspector", "长白山天池的水很清", "").await.unwrap_err();
    assert!(needs_code.text().contains("动态验证码"), "the second factor is now required");
    let code = app::auth::current_totp(&secret).unwrap();
    let with_code = form_login(&h.router, "inspector", "长白山天池的水很清", &code).await;
    assert!(with_code.is_ok());
    // A one-time code is good once (replay), even within its 30 seconds.
    let replayed = form_login(&h.router, "inspector", "长白山天池的水很清", &code).await.unwrap_err();
    assert!(replayed.text().contains("动态验证码错误"), "a replayed code is refused");

    // Minting a token needs the password and, where enrolled, a fresh code: an open session is
    // not enough.
    let session = with_code.unwrap();
    let reply = post_form(&h.router, &session, "/profile/tokens", &[("name", "mine"), ("password", "wrong password"), ("totp", "")]).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = post_form(&h.router, &session, "/profile/tokens", &[("name", "mine"), ("password", "长白山天池的水很清"), ("totp", &code)]).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "a used code does not mint a token");
    h.app.store.execute_raw_for_tests("UPDATE users SET totp_last_step = NULL WHERE username = 'inspector'").await.unwrap();
    let fresh = app::auth::current_totp(&secret).unwrap();
    let reply = post_form(&h.router, &session, "/profile/tokens", &[("name", "mine"), ("password", "长白山天池的水很清"), ("totp", &fresh)]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let minted = reply.text().split("id=\"secret-value\" class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert_eq!(get(h, "/api/v1/me", &minted).await.status, StatusCode::OK);
    // A password change revokes every token of the user.
    let reply = change_password(&h.router, &session, "长白山天池的水很清", "松花江的水向北流").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert_eq!(get(h, "/api/v1/me", &minted).await.status, StatusCode::UNAUTHORIZED, "tokens do not outlive the password");

    // API tokens: listed, revocable by their owner, dead after revocation.
    let token_reply = send(
        &h.router,
        Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"username": "yjt", "password": password, "token_name": "etl"}).to_string()))
            .unwrap(),
    )
    .await;
    let yjt = token_reply.json()["token"].as_str().unwrap().to_owned();
    let listed = get(h, "/api/v1/me/tokens", &yjt).await.json();
    let id = listed.as_array().unwrap().iter().find(|t| t["name"] == "etl").unwrap()["id"].as_i64().unwrap();
    assert!(!listed.to_string().contains(&yjt), "token values are never listed");
    let revoke = Request::delete(format!("/api/v1/me/tokens/{id}")).header(header::AUTHORIZATION, format!("Bearer {yjt}")).body(Body::empty()).unwrap();
    assert_eq!(send(&h.router, revoke).await.status, StatusCode::NO_CONTENT);
    assert_eq!(get(h, "/api/v1/me", &yjt).await.status, StatusCode::UNAUTHORIZED, "a revoked token is dead");
}

async fn account_administration(h: &Harness) {
    // Administrators work in sessions opened with a second factor, never with tokens.
    let secadmin = admin_session(h, "secadmin").await;
    let sysadmin = admin_session(h, "sysadmin").await;
    let sysadmin_token = token(h, "sysadmin").await;
    let by_token = Request::post("/admin/users/new")
        .header(header::AUTHORIZATION, format!("Bearer {sysadmin_token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("username=bytoken&display_name=x&unit_id=1&password=a+long+new+passphrase"))
        .unwrap();
    // A page takes no token: the post is a cookie-less form without a CSRF token, refused.
    assert_eq!(send(&h.router, by_token).await.status, StatusCode::FORBIDDEN);
    assert!(h.app.store.user_by_username("bytoken").await.unwrap().is_none());

    // The security administrator clears a client's back-off; the system administrator cannot.
    let jilinshi = h.app.store.user_by_username("jilinshi").await.unwrap().unwrap();
    assert_eq!(post_form(&h.router, &sysadmin, &format!("/admin/users/{}/unlock", jilinshi.id), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(post_form(&h.router, &secadmin, &format!("/admin/users/{}/unlock", jilinshi.id), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(h.app.store.login_blocked_until(jilinshi.id, "203.0.113.9", store::now_ms()).await.unwrap().is_none());

    // The system administrator creates accounts without roles (三权分立); a role in the form is
    // ignored, the account starts unassigned and sees nothing.
    let unit = h.app.store.user_by_username("changchun").await.unwrap().unwrap().unit_id;
    let unit = unit.to_string();
    let create = |username: &'static str, role: &'static str| {
        vec![("username", username), ("display_name", "张三"), ("unit_id", unit.as_str()), ("role", role), ("password", "a long new passphrase")]
    };
    let reply = post_form(&h.router, &sysadmin, "/admin/users/new", &create("zhangsan", "committee_office")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let reply = post_form(&h.router, &sysadmin, "/admin/users/new", &create("ZhangSan", "inspector")).await;
    assert!(reply.text().contains("已被使用"), "user names are unique regardless of case");
    let zhangsan = h.app.store.user_by_username("zhangsan").await.unwrap().unwrap();
    assert_eq!(zhangsan.role, "unassigned", "the system administrator grants no role");
    assert!(zhangsan.must_change_password);

    // Its holder must first replace the temporary password: no token, no page but the profile.
    let login = |password: &str| {
        Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"username": "ZhangSan", "password": password}).to_string()))
            .unwrap()
    };
    let reply = send(&h.router, login("a long new passphrase")).await;
    assert_eq!((reply.status, reply.json()["code"].as_str()), (StatusCode::FORBIDDEN, Some("password_change_required")));
    let holder = form_login(&h.router, "zhangsan", "a long new passphrase", "").await.unwrap();
    let home = page(&h.router, "/enterprises", &holder).await;
    assert_eq!(
        (home.status, home.headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned())),
        (StatusCode::SEE_OTHER, Some("/profile?notice=profile.must_change".to_owned()))
    );
    let reply = change_password(&h.router, &holder, "a long new passphrase", "图们江边的杜鹃花").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let reply = send(&h.router, login("图们江边的杜鹃花")).await;
    assert_eq!(reply.status, StatusCode::OK, "user names are case-insensitive at login: {}", reply.text());
    let zhangsan_token = reply.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(get(h, "/api/v1/enterprises", &zhangsan_token).await.status, StatusCode::NOT_FOUND, "an account without a role sees nothing");

    // The security administrator grants roles; the last holder of an administrator role stays.
    assert_eq!(post_form(&h.router, &sysadmin, &format!("/admin/users/{}/role", zhangsan.id), &[("role", "regulator")]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        post_form(&h.router, &secadmin, &format!("/admin/users/{}/role", zhangsan.id), &[("role", "enterprise")]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an enterprise role does not fit a department"
    );
    assert_eq!(post_form(&h.router, &secadmin, &format!("/admin/users/{}/role", zhangsan.id), &[("role", "regulator")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(h.app.store.user(zhangsan.id).await.unwrap().role, "regulator");
    let auditor = h.app.store.user_by_username("auditor").await.unwrap().unwrap();
    let reply = post_form(&h.router, &secadmin, &format!("/admin/users/{}/role", auditor.id), &[("role", "security_admin")]).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.text().contains("最后一名"), "{}", reply.text());
    let secadmin_id = h.app.store.user_by_username("secadmin").await.unwrap().unwrap().id;
    let reply = post_form(&h.router, &secadmin, &format!("/admin/users/{secadmin_id}/role"), &[("role", "audit_admin")]).await;
    assert!(reply.text().contains("自己"), "no one changes their own rights");

    // A password reset is temporary again, and ends the tokens.
    let regulator_token = {
        let reply = send(&h.router, login("图们江边的杜鹃花")).await;
        reply.json()["token"].as_str().unwrap().to_owned()
    };
    assert_eq!(get(h, "/api/v1/enterprises", &regulator_token).await.status, StatusCode::OK);
    let reply = post_form(&h.router, &sysadmin, &format!("/admin/users/{}/password", zhangsan.id), &[("password", "a reset temporary passphrase")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert_eq!(get(h, "/api/v1/me", &regulator_token).await.status, StatusCode::UNAUTHORIZED, "a reset revokes tokens");
    assert!(h.app.store.user(zhangsan.id).await.unwrap().must_change_password, "a reset password must be changed at the next login");

    // Disabling ends the user's access at once.
    let holder = form_login(&h.router, "zhangsan", "a reset temporary passphrase", "").await.unwrap();
    assert_eq!(post_form(&h.router, &sysadmin, &format!("/admin/users/{}/disable", zhangsan.id), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(page(&h.router, "/profile", &holder).await.status, StatusCode::SEE_OTHER);
    let actions: Vec<String> = h
        .app
        .store
        .audit_page(&store::AuditFilter { action_prefix: Some("user.".into()), ..Default::default() }, 50, 0)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    for expected in ["user.unlock", "user.create", "user.role_grant", "user.disable", "user.password_reset"] {
        assert!(actions.iter().any(|a| a == expected), "{expected} is audited: {actions:?}");
    }
}

async fn audit_search_and_export(h: &Harness) {
    let auditor = admin_session(h, "auditor").await;
    let today = domain::time::today().to_string();
    let reply = page(&h.router, &format!("/audit?from={today}&to={today}&action=auth.login&outcome=failure"), &auditor).await;
    assert_eq!(reply.status, StatusCode::OK);
    let total: i64 = reply.text().split("id=\"audit-total\">").nth(1).unwrap().split('<').next().unwrap().parse().unwrap();
    assert!(total >= 5, "today's failed logins are found: {total}");
    let reply = page(&h.router, "/audit?from=2001-01-01&to=2001-01-02", &auditor).await;
    assert!(reply.text().contains("id=\"audit-total\">0<"), "nothing that long ago");
    assert_eq!(page(&h.router, "/audit?from=yesterday", &auditor).await.status, StatusCode::BAD_REQUEST, "a bad date is refused");
    let csv = page(&h.router, &format!("/audit/export.csv?from={today}&action=auth.login"), &auditor).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.text();
    assert!(text.starts_with("\u{feff}序号,时间,操作人"), "{}", &text[..60.min(text.len())]);
    assert!(text.lines().count() > 5 && text.lines().skip(1).all(|l| l.contains("auth.login")));
    let xlsx = page(&h.router, "/audit/export.xlsx", &auditor).await;
    assert!(xlsx.body.starts_with(b"PK"));
    let exports = h.app.store.audit_page(&store::AuditFilter { action_prefix: Some("audit.export".into()), ..Default::default() }, 10, 0).await.unwrap();
    assert_eq!(exports.total, 2, "each export is itself audited");
    // The auditor changes nothing: writes are refused like any other out-of-scope request.
    let auditor = token(h, "auditor").await;
    let create = Request::post("/api/v1/enterprises")
        .header(header::AUTHORIZATION, format!("Bearer {auditor}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_string(&app::enterprises::sample_enterprise()).unwrap()))
        .unwrap();
    assert_eq!(send(&h.router, create).await.status, StatusCode::NOT_FOUND);
}

/// An export's headings and the words in its cells follow the reader's language; data stays as
/// entered.
async fn exports_in_the_readers_language(h: &Harness) {
    let session = form_login(&h.router, "changchun", demo::DEMO_PASSWORD, "").await.unwrap();
    let header_of = |reply: Reply| {
        assert_eq!(reply.status, StatusCode::OK);
        app::spreadsheet::read_table(app::spreadsheet::SpreadsheetFormat::Xlsx, &reply.body).unwrap()
    };
    let chinese = header_of(page(&h.router, "/dangers/export.xlsx", &session).await);
    assert_eq!(&chinese.header[..4], ["编号", "企业", "部位", "隐患描述"]);
    let english = header_of(page(&h.router, "/dangers/export.xlsx", &format!("{session}; anwei_lang=en")).await);
    assert_eq!(&english.header[..4], ["No.", "Enterprise", "Location", "Description"]);
    assert!(!english.rows.is_empty(), "the city has dangers to export");
    let words: Vec<&str> = english.rows.iter().flat_map(|(_, cells)| cells[4..7].iter().map(String::as_str)).collect();
    assert!(words.iter().all(|w| w.is_ascii()), "source, grade and state are English: {words:?}");
}

/// Every page of a signed-in person carries their device key (what their browser keeps on the
/// phone is encrypted with it): the same in each of their sessions, another for anyone else.
async fn device_keys(h: &Harness) {
    let key_of = |reply: Reply| {
        let text = reply.text();
        let key = text.split("data-device-key=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default().to_owned();
        assert!(key.len() == 64 && key.chars().all(|c| c.is_ascii_hexdigit()), "a 256-bit key: {key:?}");
        key
    };
    let first = form_login(&h.router, "changchun", demo::DEMO_PASSWORD, "").await.unwrap();
    let again = form_login(&h.router, "changchun", demo::DEMO_PASSWORD, "").await.unwrap();
    let other = form_login(&h.router, "chaoyang", demo::DEMO_PASSWORD, "").await.unwrap();
    let key = key_of(page(&h.router, "/", &first).await);
    assert_eq!(key, key_of(page(&h.router, "/dangers", &again).await), "the same person's key in another session");
    assert_ne!(key, key_of(page(&h.router, "/", &other).await), "another person's key");
    assert!(!page(&h.router, "/login", "").await.text().contains("data-device-key"), "no key without a person");
}

async fn overdue_list(h: &Harness) {
    // The demo plan always has overdue work (its half-year deadline lies behind the demo).
    let office = token(h, "office").await;
    let reply = get(h, "/assignments?overdue=1", &office).await;
    assert_eq!(reply.status, StatusCode::OK);
    let text = reply.text();
    assert!(text.contains("id=\"overdue-by-unit\"") && text.contains("id=\"overdue-by-region\""), "grouped by unit and by region");
    let listed = get(h, "/api/v1/assignments?overdue=true", &office).await.json();
    let items = listed["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.iter().all(|a| a["overdue"] == true));
    assert_eq!(listed["total"].as_i64().unwrap(), items.len() as i64, "one page holds them all");
    // Pages of the whole list: the second continues where the first ended, the total is the same.
    let first = get(h, "/api/v1/assignments?per_page=3", &office).await.json();
    let second = get(h, "/api/v1/assignments?per_page=3&page=2", &office).await.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    assert_eq!(first["total"], second["total"]);
    assert!(first["total"].as_i64().unwrap() > items.len() as i64);
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
    assert_eq!(get(h, "/api/v1/assignments?per_page=201", &office).await.status, StatusCode::BAD_REQUEST);
}

async fn hidden_danger_api(h: &Harness) {
    let enterprise = token(h, "enterprise").await;
    let chaoyang = token(h, "chaoyang").await;
    let post = |token: &str, path: String, body: Value| {
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let own = get(h, "/api/v1/enterprises", &enterprise).await.json()["items"][0]["id"].as_i64().unwrap();
    let created = send(&h.router, post(&enterprise, "/api/v1/hidden-dangers".into(), json!({"enterprise_id": own, "location": "储罐区", "description": "无紧急切断阀", "source": "self_check", "grade": "major", "responsible_person": "张工", "deadline": "2026-12-31"}))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["state"], "reported");
    let id = created.json()["id"].as_i64().unwrap();
    let action = |token: &str, body: Value| post(token, format!("/api/v1/hidden-dangers/{id}/actions"), body);
    let reply = send(&h.router, action(&chaoyang, json!({"action": "accept"}))).await;
    assert_eq!((reply.status, reply.json()["code"].as_str()), (StatusCode::CONFLICT, Some("illegal_transition")));
    assert_eq!(send(&h.router, action(&chaoyang, json!({"action": "confirm"}))).await.status, StatusCode::OK);
    let reply = send(&h.router, action(&enterprise, json!({"action": "plan", "goal": "消除", "measures": "加装", "deadline": "2026-12-20"}))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let missing: Vec<String> = reply.json()["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(missing, ["funds", "organization", "safety_measures", "emergency_plan"]);
    // The framework's refusals are the API's JSON errors: a body that is not JSON, one of the
    // wrong shape, a path id that is not a number; an integer written as 1.0 is an integer.
    let raw = |body: &str| {
        Request::post("/api/v1/hidden-dangers")
            .header(header::AUTHORIZATION, format!("Bearer {enterprise}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let reply = send(&h.router, raw("{not json")).await;
    assert_eq!((reply.status, reply.json()["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed_json")));
    let reply = send(&h.router, raw(r#"{"enterprise_id": "one"}"#)).await;
    assert_eq!((reply.status, reply.json()["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")));
    assert!(reply.json()["message"].as_str().unwrap().contains("enterprise_id"), "{}", reply.text());
    let reply = send(&h.router, post(&enterprise, "/api/v1/hidden-dangers".into(), json!({"enterprise_id": own as f64, "location": "罐区", "description": "x".repeat(2001), "source": "self_check", "grade": "general", "responsible_person": "张工"}))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text());
    assert_eq!(reply.json()["fields"][0]["field"], "description", "text over 2,000 characters is refused, not cut: {}", reply.text());
    let reply =
        send(&h.router, Request::get("/api/v1/hidden-dangers/abc").header(header::AUTHORIZATION, format!("Bearer {enterprise}")).body(Body::empty()).unwrap())
            .await;
    assert_eq!((reply.status, reply.json()["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_path")));
    let reply = send(
        &h.router,
        Request::get(format!("/api/v1/hidden-dangers/{id}.0")).header(header::AUTHORIZATION, format!("Bearer {enterprise}")).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let reply = get(h, "/api/v1/hidden-dangers?grade=severe", &enterprise).await;
    assert_eq!((reply.status, reply.json()["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));
    let reply = send(&h.router, post(&enterprise, "/api/v1/hidden-dangers".into(), json!({"enterprise_id": own, "grade": "major"}))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "bad input names its fields: {}", reply.text());
    let listed = get(h, "/api/v1/hidden-dangers?grade=major&state=confirmed", &chaoyang).await.json();
    assert!(listed["items"].as_array().unwrap().iter().any(|d| d["id"] == id));
    // Pages: the second continues where the first ended, the total is the same; bounds refused.
    let first = get(h, "/api/v1/hidden-dangers?per_page=2", &chaoyang).await.json();
    let second = get(h, "/api/v1/hidden-dangers?per_page=2&page=2", &chaoyang).await.json();
    assert_eq!((first["items"].as_array().unwrap().len(), first["per_page"].as_i64()), (2, Some(2)));
    assert_eq!(first["total"], second["total"]);
    assert!(first["total"].as_i64().unwrap() > 2, "{first}");
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
    for bad in ["per_page=201", "per_page=0", "page=0"] {
        assert_eq!(get(h, &format!("/api/v1/hidden-dangers?{bad}"), &chaoyang).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }

    // Risk points: graded on entry; the profiles are derived, the city's sums its enterprises'.
    let before = get(h, "/api/v1/regions/220000/risk-profile", &chaoyang).await.json();
    let changchun_before = before.as_array().unwrap().iter().find(|r| r["code"] == "220100").unwrap().clone();
    let point = json!({"name": "液氨储罐区", "hazard_type": "中毒", "controls": "检测报警", "responsible_level": "workshop", "responsible_person": "李四", "method": "lec", "l": 6, "e": 6, "c": 15});
    let reply = send(&h.router, post(&enterprise, format!("/api/v1/enterprises/{own}/risk-points"), point.clone())).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let mut off_scale = point.clone();
    off_scale["l"] = json!(5);
    let reply = send(&h.router, post(&enterprise, format!("/api/v1/enterprises/{own}/risk-points"), off_scale)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.text().contains("10/6/3/1/0.5/0.2/0.1"), "names the scale");
    let risk = get(h, &format!("/api/v1/enterprises/{own}/risk-points"), &enterprise).await.json();
    assert_eq!((risk["points"][0]["level"].as_str(), risk["points"][0]["color"].as_str()), (Some("major"), Some("red")), "540 is 重大");
    assert_eq!(risk["profile"]["highest"], "major");
    let after = get(h, "/api/v1/regions/220000/risk-profile", &chaoyang).await.json();
    let changchun_after = after.as_array().unwrap().iter().find(|r| r["code"] == "220100").unwrap().clone();
    assert_eq!(changchun_after["major"].as_i64().unwrap(), changchun_before["major"].as_i64().unwrap() + 1);
    assert_eq!(changchun_after["highest"], "major");
    assert!(
        after.as_array().unwrap().iter().filter(|r| r["code"] != "220100").all(|r| r["major"].as_i64() == Some(0) && r["low"].as_i64() == Some(0)),
        "chaoyang sees only its own territory's points"
    );

    // Daily commitments: the enterprise is flagged to its county regulator until it files.
    let missing = |list: Value| list.as_array().unwrap().iter().any(|m| m["enterprise_id"] == own);
    assert!(missing(get(h, "/api/v1/commitments/missing", &chaoyang).await.json()), "not filed yet, so flagged");
    let reply = send(&h.router, post(&enterprise, "/api/v1/commitments".into(), json!({"principal": "张三", "statement": ""}))).await;
    assert_eq!((reply.status, reply.json()["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("statement")));
    assert_eq!(
        send(&h.router, post(&enterprise, "/api/v1/commitments".into(), json!({"principal": "张三", "statement": "运行正常"}))).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(&h.router, post(&enterprise, "/api/v1/commitments".into(), json!({"principal": "张三", "statement": "运行正常"}))).await.status,
        StatusCode::CONFLICT,
        "once a day"
    );
    assert!(!missing(get(h, "/api/v1/commitments/missing", &chaoyang).await.json()), "no longer flagged");
}

async fn login_throttling(backend: &str) {
    let db = store::testing::fresh(backend).await.unwrap();
    let security = app::auth::SecuritySettings { login_burst_per_client: 3, login_refill_seconds: 3600, ..Default::default() };
    let app = App::new(db.store.clone(), security);
    demo::load_with(&app, 5).await.unwrap();
    let router = web::router(app.clone(), crate::support::local_settings());
    let attempt = |username: &str| {
        Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"username": username, "password": "wrong password"}).to_string()))
            .unwrap()
    };
    // Different accounts from one client: the per-client throttle, not the account lockout.
    for username in ["office", "yjt", "changchun"] {
        assert_eq!(send(&router, attempt(username)).await.status, StatusCode::UNAUTHORIZED);
    }
    let reply = send(&router, attempt("chaoyang")).await;
    assert_eq!((reply.status, reply.json()["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")));
    assert!(reply.headers.get(header::RETRY_AFTER).is_some());
    // The login form shares the client's budget; reading the login page does not spend it.
    assert_eq!(send(&router, Request::get("/login").body(Body::empty()).unwrap()).await.status, StatusCode::OK);
    assert!(form_login(&router, "office", demo::DEMO_PASSWORD, "").await.is_err_and(|r| r.status == StatusCode::TOO_MANY_REQUESTS));
    // chaoyang's own account is not locked: the refused attempt never reached it.
    assert_eq!(app.store.user_by_username("chaoyang").await.unwrap().unwrap().failed_login_count, 0);
}

/// Behind a trusted proxy the audit log and the throttles see the client the proxy names; a
/// client that forges the header itself is not believed. HSTS goes with `secure_cookies`.
async fn proxies_and_hsts(backend: &str) {
    let db = store::testing::fresh(backend).await.unwrap();
    let security = app::auth::SecuritySettings { login_burst_per_client: 2, login_refill_seconds: 3600, ..Default::default() };
    let app = App::new(db.store.clone(), security);
    demo::load_with(&app, 5).await.unwrap();
    let trusted_proxies = web::client_address::parse_trusted(&["10.0.0.5".into()]).unwrap();
    let router = web::router(
        app.clone(),
        web::WebSettings {
            secure_cookies: true,
            proxies: web::client_address::Proxies { trusted: trusted_proxies, header: Default::default() },
            ..crate::support::local_settings()
        },
    );
    let attempt = |peer: &str, forwarded_for: &str| {
        let mut request = Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-forwarded-for", forwarded_for)
            .body(Body::from(json!({"username": "office", "password": "wrong password"}).to_string()))
            .unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer.parse::<std::net::SocketAddr>().unwrap()));
        request
    };
    let reply = send(&router, attempt("10.0.0.5:40000", "203.0.113.50")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.headers.get(header::STRICT_TRANSPORT_SECURITY).is_some_and(|v| v.to_str().unwrap().contains("max-age=31536000")));
    send(&router, attempt("198.51.100.20:40000", "203.0.113.99")).await;
    // A client's own Forwarded header, passed through by a proxy that writes X-Forwarded-For.
    let mut own_header = attempt("10.0.0.5:40000", "203.0.113.60");
    own_header.headers_mut().insert("forwarded", "for=192.0.2.1".parse().unwrap());
    send(&router, own_header).await;
    let clients: Vec<String> = app
        .store
        .audit_page(&store::AuditFilter { action_prefix: Some("auth.login".into()), ..Default::default() }, 10, 0)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.client)
        .collect();
    assert!(clients.contains(&"203.0.113.50".to_owned()), "the proxy's client is recorded: {clients:?}");
    assert!(clients.contains(&"198.51.100.20".to_owned()) && !clients.contains(&"203.0.113.99".to_owned()), "a forged header is not believed: {clients:?}");
    assert!(clients.contains(&"203.0.113.60".to_owned()) && !clients.contains(&"192.0.2.1".to_owned()), "only the configured header is read: {clients:?}");
    // The per-client throttle keys on the forwarded client: another client behind the same proxy
    // still has its own budget after the first has spent its.
    send(&router, attempt("10.0.0.5:40000", "203.0.113.50")).await;
    assert_eq!(send(&router, attempt("10.0.0.5:40000", "203.0.113.50")).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(send(&router, attempt("10.0.0.5:40000", "203.0.113.51")).await.status, StatusCode::UNAUTHORIZED, "the province does not share one bucket");
    let plain = web::router(app.clone(), crate::support::local_settings());
    let reply = send(&plain, Request::get("/login").body(Body::empty()).unwrap()).await;
    assert!(reply.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "no HSTS over plain HTTP");
}

/// The real server loop: a client that sends half a request head and waits is cut off after the
/// header deadline, while a whole request on another connection is answered.
async fn slow_clients(h: &Harness) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let settings = crate::support::local_settings();
    let server = tokio::spawn(web::serve(listener, h.app.clone(), settings, std::time::Duration::from_millis(300), async {
        let _ = stopped.await;
    }));
    let mut slow = tokio::net::TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: anwei\r\n").await.unwrap();
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the half-sent request was not cut off within 5 s");
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "cut off after the deadline: {:?}", started.elapsed());
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"), "a half-sent request is never served");
    let mut whole = tokio::net::TcpStream::connect(address).await.unwrap();
    whole.write_all(b"GET /healthz HTTP/1.1\r\nHost: anwei\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    whole.read_to_end(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200 OK"), "{}", String::from_utf8_lossy(&answer));
    let _ = stop.send(());
    tokio::time::timeout(std::time::Duration::from_secs(15), server).await.expect("the server stops").unwrap().unwrap();
}

/// An upload to a record the caller may not touch is refused before its body is read: the
/// server pulls at most a first piece of a 100 MiB stream.
async fn uploads_refused_before_reading(h: &Harness) {
    let office = token(h, "office").await;
    let enterprise_id = get(h, "/api/v1/enterprises", &token(h, "enterprise").await).await.json()["items"][0]["id"].as_i64().unwrap();
    let dangers = get(h, "/api/v1/hidden-dangers?per_page=200", &office).await.json();
    let others = dangers["items"].as_array().unwrap().iter().find(|d| d["enterprise_id"].as_i64() != Some(enterprise_id)).expect("another enterprise's danger")
        ["id"]
        .as_i64()
        .unwrap();
    let session = form_login(&h.router, "enterprise", demo::DEMO_PASSWORD, "").await.unwrap();
    let csrf = csrf_of(&page(&h.router, "/profile", &session).await.text());
    let pulled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = pulled.clone();
    let head = "--B\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".as_bytes().to_vec();
    let chunks = std::iter::once(head).chain(std::iter::repeat_n(vec![0u8; 1 << 20], 100)).map(move |chunk| {
        counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
        Ok::<_, std::io::Error>(chunk)
    });
    let request = Request::post(format!("/dangers/{others}/photos"))
        .header(header::COOKIE, &session)
        .header("x-csrf-token", &csrf)
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap();
    let reply = send(&h.router, request).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let read = pulled.load(std::sync::atomic::Ordering::Relaxed);
    assert!(read < 4 << 20, "the refused upload was read: {read} bytes");

    // A page without JavaScript sends the token as the form's first field: it is found by
    // reading the body's head only, a wrong or missing one is refused before the rest is read,
    // and a right one lets the whole body through to the handler.
    let streamed = |first: Option<&str>, pulled: std::sync::Arc<std::sync::atomic::AtomicUsize>| {
        let mut head = String::new();
        if let Some(token) = first {
            head.push_str(&format!("--B\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"));
        }
        head.push_str("--B\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n");
        let chunks = std::iter::once(head.into_bytes()).chain(std::iter::repeat_n(vec![0u8; 1 << 20], 100)).map(move |chunk| {
            pulled.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
            Ok::<_, std::io::Error>(chunk)
        });
        Request::post(format!("/dangers/{others}/photos"))
            .header(header::COOKIE, &session)
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
            .body(Body::from_stream(futures_util::stream::iter(chunks)))
            .unwrap()
    };
    for (first, status) in [(None, StatusCode::FORBIDDEN), (Some("wrong-token"), StatusCode::FORBIDDEN), (Some(csrf.as_str()), StatusCode::NOT_FOUND)] {
        let pulled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let reply = send(&h.router, streamed(first, pulled.clone())).await;
        assert_eq!(reply.status, status, "first field {first:?}: {}", reply.text());
        let read = pulled.load(std::sync::atomic::Ordering::Relaxed);
        assert!(read < 4 << 20, "first field {first:?}: {read} bytes read");
    }
    // A whole field check sent that way reaches the handler (which answers for what it lacks,
    // not for its token).
    let form = format!(
        "--B\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n--B\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nself\r\n--B--\r\n"
    );
    let request = Request::post(format!("/enterprises/{enterprise_id}/checks"))
        .header(header::COOKIE, &session)
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
        .body(Body::from(form))
        .unwrap();
    let reply = send(&h.router, request).await;
    assert!(reply.status != StatusCode::FORBIDDEN && reply.text().contains("<html"), "{} {}", reply.status, reply.text());
}

/// Past `requests_in_flight_max` the server answers 503 with `Retry-After` at once rather than
/// queueing; the health check still answers, and it recovers when the load goes.
async fn load_shedding(h: &Harness) {
    let settings = web::WebSettings { requests_in_flight_max: 2, ..crate::support::local_settings() };
    let router = web::router(h.app.clone(), settings);
    // Two requests whose bodies never finish hold both places.
    let mut held = Vec::new();
    for _ in 0..2 {
        let pending = futures_util::stream::pending::<Result<Vec<u8>, std::io::Error>>();
        let request = Request::post("/api/v1/auth/login").header(header::CONTENT_TYPE, "application/json").body(Body::from_stream(pending)).unwrap();
        let router = router.clone();
        held.push(tokio::spawn(async move { router.oneshot(request).await }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let refused = send(&router, Request::get("/api/v1/regions").body(Body::empty()).unwrap()).await;
    assert_eq!((refused.status, refused.json()["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("busy")));
    assert_eq!(refused.headers.get(header::RETRY_AFTER).map(|v| v.to_str().unwrap().to_owned()), Some("1".to_owned()));
    assert_eq!(send(&router, Request::get("/healthz").body(Body::empty()).unwrap()).await.status, StatusCode::OK, "the health check is not shed");
    let telemetry = send(&router, Request::post("/api/v1/telemetry").header(header::CONTENT_TYPE, "text/plain").body(Body::from("x 1 1")).unwrap()).await;
    assert_eq!(telemetry.status, StatusCode::UNAUTHORIZED, "telemetry has places of its own: a page flood does not starve it");
    for task in held {
        task.abort();
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        send(&router, Request::get("/api/v1/regions").body(Body::empty()).unwrap()).await.status,
        StatusCode::UNAUTHORIZED,
        "places free again once the load goes"
    );

    // One enterprise cannot take every telemetry place with bodies that never finish: past its
    // own few it is told to wait (429), before the pool of all enterprises is full (503).
    let enterprise = token(h, "enterprise").await;
    let telemetry = |token: &str, body: Body| {
        let request = Request::post("/api/v1/telemetry").header(header::AUTHORIZATION, format!("Bearer {token}")).header(header::CONTENT_TYPE, "text/plain");
        request.body(body).unwrap()
    };
    let mut slow = Vec::new();
    for _ in 0..web::TELEMETRY_PER_ENTERPRISE_MAX {
        let pending = futures_util::stream::pending::<Result<Vec<u8>, std::io::Error>>();
        let request = telemetry(&enterprise, Body::from_stream(pending));
        let router = router.clone();
        slow.push(tokio::spawn(async move { router.oneshot(request).await }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let refused = send(&router, telemetry(&enterprise, Body::from("x 1 1\n"))).await;
    assert_eq!((refused.status, refused.json()["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_requests")));
    assert!(refused.headers.contains_key(header::RETRY_AFTER));
    for task in slow {
        task.abort();
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(send(&router, telemetry(&enterprise, Body::from("x 1 1\n"))).await.status, StatusCode::OK, "its places come back");
}

async fn post_telemetry(h: &Harness, token: &str, content_type: &str, body: impl Into<Body>) -> Reply {
    let request = Request::post("/api/v1/telemetry").header(header::AUTHORIZATION, format!("Bearer {token}")).header(header::CONTENT_TYPE, content_type);
    send(&h.router, request.body(body.into()).unwrap()).await
}

async fn telemetry_api(h: &Harness) {
    h.app.start_monitoring().await.unwrap();
    let enterprise = token(h, "enterprise").await;
    let sensors = get(h, "/api/v1/sensors", &enterprise).await.json();
    let sensors = sensors.as_array().unwrap();
    let kinds: std::collections::BTreeSet<&str> = sensors.iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 6, "the demo enterprise has a sensor of every kind: {kinds:?}");
    let level = sensors.iter().find(|s| s["kind"] == "level").unwrap();
    let code = level["code"].as_str().unwrap();
    assert_eq!((level["high"].as_f64(), level["high_high"].as_f64()), (Some(85.0), Some(95.0)), "thresholds are listed");
    let now = store::now_ms();

    // Text lines: good ones are accepted, each bad one is named by index and reason.
    let body = format!(
        "{code} 50.5 {}\n\n{code} abc {}\r\nnot-a-sensor 1 {}\n{code} 250 {}\n{code} NaN {}\n{code} 51 {}\n{code} 51.5 {}\n",
        now - 9_000,
        now - 8_000,
        now,
        now - 7_000,
        now - 6_000,
        now - 5_000,
        now - 5_000
    );
    let reply = post_telemetry(h, &enterprise, "text/plain; charset=utf-8", body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({"accepted": 2, "rejected_total": 5, "rejected": [
            {"index": 1, "reason": "malformed"}, {"index": 2, "reason": "unknown_sensor"}, {"index": 3, "reason": "out_of_range"},
            {"index": 4, "reason": "not_finite"}, {"index": 6, "reason": "duplicate"}]})
    );
    // JSON: the same rules, element by element.
    let body = json!([{"sensor": code, "value": 52.0, "ts": now - 4_000}, {"sensor": code, "value": "high", "ts": now - 3_000}, {"sensor": code}, 7, {"sensor": code, "value": 53.0, "ts": now + 86_400_000}]);
    let reply = post_telemetry(h, &enterprise, "application/json", body.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["accepted"], 1);
    let reasons: Vec<String> = reply.json()["rejected"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap().to_owned()).collect();
    assert_eq!(reasons, ["malformed", "malformed", "malformed", "in_future"]);
    let latest = get(h, &format!("/api/v1/sensors/{code}/latest"), &enterprise).await.json();
    assert_eq!((latest["value"].as_f64(), latest["ts"].as_i64()), (Some(52.0), Some(now - 4_000)));
    let history = get(h, &format!("/api/v1/sensors/{code}/history?from={}&to={now}", now - 60_000), &enterprise).await.json();
    assert_eq!(history["points"].as_array().unwrap().len(), 3);
    let buckets = get(h, &format!("/api/v1/sensors/{code}/history?from={}&to={now}&bucket=60000", now - 60_000), &enterprise).await.json();
    assert_eq!(buckets["buckets"].as_array().unwrap().iter().map(|b| b["count"].as_u64().unwrap()).sum::<u64>(), 3);
    assert_eq!(get(h, &format!("/api/v1/sensors/{code}/history?from={now}&to=0"), &enterprise).await.status, StatusCode::BAD_REQUEST);
    let overflowing = get(h, &format!("/api/v1/sensors/{code}/history?from={}&to={}", i64::MIN, i64::MAX), &enterprise).await;
    assert_eq!(overflowing.status, StatusCode::BAD_REQUEST, "a span that overflows i64 is not a short one");

    // Whole-batch refusals say what was wrong.
    let reply = post_telemetry(h, &enterprise, "application/xml", "<x/>").await;
    assert_eq!((reply.status, reply.json()["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type")));
    let reply = post_telemetry(h, &enterprise, "text/plain", vec![b'a', 0xff, b'\n']).await;
    assert_eq!((reply.status, reply.json()["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_batch")));
    assert!(reply.json()["message"].as_str().unwrap().contains("UTF-8"));
    let reply = post_telemetry(h, &enterprise, "application/json", r#"{"sensor": "x"}"#).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = post_telemetry(h, &enterprise, "application/json", "[{\"sensor\": ").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["message"].as_str().unwrap().contains("行"), "in Chinese by default: {}", reply.text());
    // The same refusal for a client that asks for English.
    let request = Request::post("/api/v1/telemetry")
        .header(header::AUTHORIZATION, format!("Bearer {enterprise}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.8,zh-CN;q=0.5");
    let reply = send(&h.router, request.body(Body::from("[{\"sensor\": ")).unwrap()).await;
    let message = reply.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("line") && !message.contains('行'), "wholly English when asked: {message}");
    let too_many = format!("{code} 1 {now}\n").repeat(app::monitoring::BATCH_READINGS_MAX + 1);
    let reply = post_telemetry(h, &enterprise, "text/plain", too_many).await;
    assert_eq!((reply.status, reply.json()["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_batch")));
    let reply = post_telemetry(h, &enterprise, "text/plain", vec![b' '; 9 * 1024 * 1024]).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Nothing of the refused batches was stored.
    let history = get(h, &format!("/api/v1/sensors/{code}/history?from={}&to={}", now - 60_000, now + 60_000), &enterprise).await.json();
    assert_eq!(history["points"].as_array().unwrap().len(), 3);

    // A gateway writes with an ingest token, which does nothing else and dies when revoked.
    let issued = send(
        &h.router,
        Request::post("/api/v1/ingest-tokens")
            .header(header::AUTHORIZATION, format!("Bearer {enterprise}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"name": "DCS 网关"}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text());
    let gateway = issued.json()["token"].as_str().unwrap().to_owned();
    assert!(gateway.starts_with("awi_"));
    let reply = post_telemetry(h, &gateway, "text/plain", format!("{code} 60 {}", now + 1_000)).await;
    assert_eq!(reply.json()["accepted"], 1, "{}", reply.text());
    assert_eq!(get(h, "/api/v1/sensors", &gateway).await.status, StatusCode::UNAUTHORIZED, "an ingest token reads nothing");
    assert_eq!(post_telemetry(h, "awi_forged", "text/plain", format!("{code} 60 {}", now + 2_000)).await.status, StatusCode::UNAUTHORIZED);
    let tokens = get(h, "/api/v1/ingest-tokens", &enterprise).await.json();
    let id = tokens.as_array().unwrap().iter().find(|t| t["name"] == "DCS 网关").unwrap()["id"].as_i64().unwrap();
    let revoked = send(
        &h.router,
        Request::delete(format!("/api/v1/ingest-tokens/{id}")).header(header::AUTHORIZATION, format!("Bearer {enterprise}")).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(post_telemetry(h, &gateway, "text/plain", format!("{code} 60 {}", now + 3_000)).await.status, StatusCode::UNAUTHORIZED, "revoked");

    // Only an enterprise writes, and only its own sensors; others' readings are unknown to it.
    let chaoyang = token(h, "chaoyang").await;
    assert_eq!(post_telemetry(h, &chaoyang, "text/plain", format!("{code} 1 {now}")).await.status, StatusCode::NOT_FOUND);
    let anonymous =
        send(&h.router, Request::post("/api/v1/telemetry").header(header::CONTENT_TYPE, "text/plain").body(Body::from(format!("{code} 1 {now}"))).unwrap())
            .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let office = token(h, "office").await;
    let foreign =
        get(h, "/api/v1/sensors", &office).await.json().as_array().unwrap().iter().find(|s| s["enterprise_id"] != level["enterprise_id"]).unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned();
    let reply = post_telemetry(h, &enterprise, "text/plain", format!("{foreign} 1 {now}")).await;
    assert_eq!(reply.json()["rejected"][0]["reason"], "unknown_sensor");
    assert_eq!(get(h, &format!("/api/v1/sensors/{foreign}/latest"), &enterprise).await.status, StatusCode::NOT_FOUND);
}

/// Reads a server-sent event stream until an `alarm` event arrives or `wait` passes.
async fn next_alarm_event(body: &mut Body, wait: std::time::Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut text = String::new();
    loop {
        let frame = tokio::time::timeout_at(deadline, body.frame()).await.ok()??.ok()?;
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
        if let Some(start) = text.find("event: alarm\ndata: ") {
            let rest = &text[start + "event: alarm\ndata: ".len()..];
            if let Some(end) = rest.find('\n') {
                return serde_json::from_str(&rest[..end]).ok();
            }
        }
    }
}

/// Registering a source (graded on the spot) and its sensors over the API, which then take
/// readings; bad input is named field by field, a code in use is a conflict, and another
/// territory's regulator cannot register for the enterprise.
async fn source_registration(h: &Harness) {
    let enterprise = token(h, "enterprise").await;
    let jilinshi = token(h, "jilinshi").await;
    let post = |token: &str, path: String, body: Value| {
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let own = get(h, "/api/v1/enterprises", &enterprise).await.json()["items"][0]["id"].as_i64().unwrap();
    // The worked example of DOMAIN.md: 200 t of sulphur dioxide with 60 people nearby is 三级.
    let source = json!({"enterprise_id": own, "name": "二氧化硫储罐区", "unit_kind": "storage", "people_nearby": 60,
        "principal_person": "王厂长", "technical_person": "李工", "operating_person": "赵班长", "chemicals": ["7446-09-5=200"]});
    let reply = send(&h.router, post(&jilinshi, "/api/v1/hazard-sources".into(), source.clone())).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "another city's regulator: {}", reply.text());
    let reply = send(&h.router, post(&enterprise, "/api/v1/hazard-sources".into(), source.clone())).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let graded = reply.json();
    assert_eq!(
        (graded["s"].as_f64(), graded["r"].as_f64(), graded["major"].as_bool(), graded["level"].as_i64()),
        (Some(10.0), Some(30.0), Some(true), Some(3))
    );
    let id = graded["id"].as_i64().unwrap();
    let reply = send(
        &h.router,
        post(
            &enterprise,
            "/api/v1/hazard-sources".into(),
            json!({"enterprise_id": own, "name": "", "unit_kind": "tank", "people_nearby": 1,
        "principal_person": "", "technical_person": "李工", "operating_person": "赵班长", "chemicals": ["no-such-substance=5"]}),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text());
    let fields: Vec<String> = reply.json()["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect();
    for expected in ["name", "unit_kind", "principal_person", "chemicals"] {
        assert!(fields.iter().any(|f| f == expected), "{expected} is named: {fields:?}");
    }

    // Sensors: registered together, listed with their thresholds, and taking readings at once.
    let sensors = json!([
        {"code": "SO2-LT-01", "name": "储罐液位", "kind": "level", "unit": "%", "range_min": 0, "range_max": 100, "thresholds": {"high": 85, "high_high": 95}, "interval_s": 10},
        {"code": "SO2-AT-01", "name": "有毒气体", "kind": "toxic_gas", "unit": "ppm", "range_min": 0, "range_max": 100, "thresholds": {"high": 5, "high_high": 10}, "interval_s": 5}
    ]);
    let reply = send(&h.router, post(&jilinshi, format!("/api/v1/hazard-sources/{id}/sensors"), sensors.clone())).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = send(&h.router, post(&enterprise, format!("/api/v1/hazard-sources/{id}/sensors"), sensors.clone())).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(reply.json().as_array().unwrap().len(), 2);
    let listed = get(h, &format!("/api/v1/sensors?source={id}"), &enterprise).await.json();
    let codes: std::collections::BTreeSet<&str> = listed.as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["SO2-AT-01", "SO2-LT-01"].into());
    let reply = send(&h.router, post(&enterprise, format!("/api/v1/hazard-sources/{id}/sensors"), json!([sensors[0]]))).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "a code in use: {}", reply.text());
    let reply = send(
        &h.router,
        post(
            &enterprise,
            format!("/api/v1/hazard-sources/{id}/sensors"),
            json!([{"code": "bad code!", "name": "x", "kind": "level", "range_min": 10, "range_max": 0, "interval_s": 0}]),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text());
    let reply = send(&h.router, post(&enterprise, format!("/api/v1/hazard-sources/{id}/sensors"), json!([]))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let now = store::now_ms();
    let reply = post_telemetry(
        h,
        &enterprise,
        "text/plain",
        format!(
            "SO2-LT-01 42.5 {now}
"
        ),
    )
    .await;
    assert_eq!(reply.json()["accepted"], 1, "{}", reply.text());
    let latest = get(h, "/api/v1/sensors/SO2-LT-01/latest", &enterprise).await.json();
    assert_eq!(latest["value"].as_f64(), Some(42.5));

    // The pages' forms: what cannot be read is named on the page again (422), and nothing is stored.
    let cookie = form_login(&h.router, "enterprise", demo::DEMO_PASSWORD, "").await.map_err(|r| r.text()).unwrap();
    let page = send(&h.router, Request::get(format!("/hazards/{id}")).header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert!(page.text().contains("id=\"sensor-form\""), "the enterprise may add sensors on its source's page");
    let csrf = csrf_of(&page.text());
    let form = |path: String, body: String| {
        Request::post(path).header(header::COOKIE, &cookie).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(body)).unwrap()
    };
    let reply = send(
        &h.router,
        form(format!("/hazards/{id}/sensors"), format!("_csrf={csrf}&code=SO2-PT-01&name=p&kind=pressure&range_min=0&range_max=ten&high=abc&interval_s=-5")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = reply.text();
    for named in ["量程上限 range_max应为数字", "高限 H应为数字", "上报周期应为整数秒"] {
        assert!(text.contains(named), "each unreadable field is named: {named}");
    }
    assert_eq!(get(h, "/api/v1/sensors/SO2-PT-01/latest", &enterprise).await.status, StatusCode::NOT_FOUND, "nothing stored");
    let reply = send(&h.router, form("/hazards/new".into(), format!("_csrf={csrf}&enterprise_id={own}&name=x&unit_kind=storage&people_nearby=many&principal_person=a&technical_person=b&operating_person=c&chemicals=%E6%B0%A8%3D20"))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.text().contains("people_nearby"));
}

async fn alarm_stream(h: &Harness) {
    let open = |token: Option<String>| {
        let router = h.router.clone();
        async move {
            let mut request = Request::get("/api/v1/alarms/stream");
            if let Some(token) = token {
                request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
            }
            router.oneshot(request.body(Body::empty()).unwrap()).await.unwrap()
        }
    };
    let (enterprise, jilinshi, expert) = (token(h, "enterprise").await, token(h, "jilinshi").await, token(h, "expert").await);
    assert_eq!(open(None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(open(Some(expert)).await.status(), StatusCode::NOT_FOUND);
    let own = open(Some(enterprise.clone())).await;
    assert_eq!(own.status(), StatusCode::OK);
    assert!(own.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/event-stream"));
    let other = open(Some(jilinshi)).await;
    let (mut own_body, mut other_body) = (own.into_body(), other.into_body());
    // Far above high-high on the enterprise's temperature sensor for two minutes raises an alarm.
    let sensors = get(h, "/api/v1/sensors", &enterprise).await.json();
    let code = sensors.as_array().unwrap().iter().find(|s| s["kind"] == "temperature").unwrap()["code"].as_str().unwrap().to_owned();
    let now = store::now_ms();
    let body: String = (0..13).map(|i| format!("{code} 75 {}\n", now - 130_000 + i * 10_000)).collect();
    assert_eq!(post_telemetry(h, &enterprise, "text/plain", body).await.json()["accepted"], 13);
    let event = next_alarm_event(&mut own_body, std::time::Duration::from_secs(10)).await.expect("the enterprise hears of its alarm");
    let alarms = get(h, "/api/v1/alarms?state=active", &enterprise).await.json();
    let raised = alarms.as_array().unwrap().iter().find(|a| a["sensor"] == code.as_str()).unwrap()["id"].clone();
    assert!(event["ids"].as_array().unwrap().contains(&raised), "{event}");
    assert!(next_alarm_event(&mut other_body, std::time::Duration::from_millis(500)).await.is_none(), "another city hears nothing of it");

    // A stream on a token revoked meanwhile ends at the next event instead of delivering it.
    let revoked = token(h, "enterprise").await;
    let mut revoked_body = open(Some(revoked.clone())).await.into_body();
    let tokens = get(h, "/api/v1/me/tokens", &revoked).await.json();
    let newest = tokens.as_array().unwrap().iter().filter_map(|t| t["id"].as_i64()).max().unwrap();
    let reply = send(
        &h.router,
        Request::delete(format!("/api/v1/me/tokens/{newest}")).header(header::AUTHORIZATION, format!("Bearer {enterprise}")).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    let pressure = sensors.as_array().unwrap().iter().find(|s| s["kind"] == "pressure").unwrap()["code"].as_str().unwrap().to_owned();
    let body: String = (0..13).map(|i| format!("{pressure} 2.4 {}\n", now - 130_000 + i * 10_000)).collect();
    assert_eq!(post_telemetry(h, &enterprise, "text/plain", body).await.json()["accepted"], 13);
    assert!(next_alarm_event(&mut own_body, std::time::Duration::from_secs(10)).await.is_some(), "the live token's stream hears of the new alarm");
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), revoked_body.frame()).await;
    assert!(matches!(ended, Ok(None)), "the revoked token's stream has ended: {ended:?}");

    // One account cannot take every stream: past its own limit it is told to wait (429 with
    // Retry-After) while others still get theirs; closing one frees a place.
    let limit = app::monitoring::MonitorSettings::default().live_streams_per_user;
    let mut held = vec![own_body];
    for _ in 1..limit {
        let stream = open(Some(enterprise.clone())).await;
        assert_eq!(stream.status(), StatusCode::OK);
        held.push(stream.into_body());
    }
    let refused = open(Some(enterprise.clone())).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    let office = token(h, "office").await;
    assert_eq!(open(Some(office)).await.status(), StatusCode::OK, "another user still gets a stream");
    held.pop();
    assert_eq!(open(Some(enterprise.clone())).await.status(), StatusCode::OK, "a closed stream frees its place");
}

async fn alarm_webhooks(h: &Harness) {
    // A receiver on loopback that keeps what it is sent.
    // It keeps only posts whose signature checks out under the shared secret.
    let received: std::sync::Arc<std::sync::Mutex<Vec<Value>>> = Default::default();
    let refused: std::sync::Arc<std::sync::atomic::AtomicUsize> = Default::default();
    let secret = b"a shared secret of at least 32 characters".to_vec();
    let (keep, refuse, key) = (received.clone(), refused.clone(), secret.clone());
    let receiver = Router::new().route(
        "/hooks/alarm",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let (keep, refuse, key) = (keep.clone(), refuse.clone(), key.clone());
            async move {
                let timestamp: u64 = headers.get("x-anwei-timestamp").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
                let signed = headers.get("x-anwei-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
                if signed != web::webhooks::signature(&key, timestamp, &body) {
                    refuse.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return StatusCode::UNAUTHORIZED;
                }
                keep.lock().unwrap().push(serde_json::from_str(&body).unwrap());
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    web::webhooks::spawn(h.app.clone(), vec![format!("http://{address}/hooks/alarm?token=secret")], secret);
    let enterprise = token(h, "enterprise").await;
    let sensors = get(h, "/api/v1/sensors", &enterprise).await.json();
    let code = sensors.as_array().unwrap().iter().find(|s| s["kind"] == "flow").unwrap()["code"].as_str().unwrap().to_owned();
    let now = store::now_ms();
    let body: String = (0..5).map(|i| format!("{code} 49 {}\n", now - 40_000 + i * 10_000)).collect();
    assert_eq!(post_telemetry(h, &enterprise, "text/plain", body).await.json()["accepted"], 5);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let hit =
            received.lock().unwrap().iter().any(|b| {
                b["event"] == "alarm" && b["alarms"].as_array().is_some_and(|a| a.iter().any(|x| x["sensor"] == code.as_str() && x["kind"] == "high"))
            });
        if hit {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the webhook received the flow alarm: {:?}", received.lock().unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(refused.load(std::sync::atomic::Ordering::Relaxed), 0, "every post was signed with the shared secret");
}

#[tokio::test]
async fn http_behaviour_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let h = harness(backend).await;
        scoping_and_roles(&h).await;
        authentication(&h).await;
        browser_session(&h).await;
        audit_log_access(&h).await;
        openapi(&h).await;
        sessions_and_passwords(&h).await;
        account_administration(&h).await;
        audit_search_and_export(&h).await;
        overdue_list(&h).await;
        exports_in_the_readers_language(&h).await;
        device_keys(&h).await;
        hidden_danger_api(&h).await;
        telemetry_api(&h).await;
        source_registration(&h).await;
        alarm_stream(&h).await;
        alarm_webhooks(&h).await;
        login_throttling(backend).await;
        proxies_and_hsts(backend).await;
        slow_clients(&h).await;
        uploads_refused_before_reading(&h).await;
        load_shedding(&h).await;
    }
}
