//! Anonymity of whistleblowers, checked on the real files: after tips are sent through the web
//! layer (the form and the API, anonymous and named, with a client address, a forwarding header
//! and a browser name), neither the database file nor its WAL holds what the reporter wrote, the
//! name or phone given, the address or the browser name; no log line of any level carries them;
//! and the public pages start no session.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const SECRET_TEXT: &str = "秘密内容ZQX7:三号罐区夜间偷排";
const SECRET_NAME: &str = "隐名举报人";
const SECRET_PHONE: &str = "13900007777";
const ADDRESS: &str = "203.0.113.77";
const FORWARDED: &str = "198.51.100.23";
const AGENT: &str = "AnonCheckAgent/9.9";

fn from_client(mut request: Request<Body>) -> Request<Body> {
    let peer: std::net::SocketAddr = format!("{ADDRESS}:51234").parse().unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    request
}

async fn send(router: &axum::Router, request: Request<Body>) -> (StatusCode, Vec<String>, String) {
    let response = router.clone().oneshot(from_client(request)).await.unwrap();
    let status = response.status();
    let cookies = response.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap_or("").to_owned()).collect();
    let body = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes()).into_owned();
    (status, cookies, body)
}

#[tokio::test]
async fn tips_leave_no_trace_of_the_reporter_in_the_files_or_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_ansi(false).with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let db = store::testing::fresh("sqlite").await.unwrap();
    let app = app::App::new(db.store.clone(), Default::default());
    demo::load_with(&app, 20).await.unwrap();
    let router = web::router(app.clone(), web::WebSettings { demo_banner: false, ..crate::support::local_settings() });
    let sessions_before = db.store.session_count().await.unwrap();

    // The public form, named, from a browser behind a (not trusted) proxy.
    let (status, cookies, _) = send(&router, Request::get("/report").header(header::USER_AGENT, AGENT).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(cookies.is_empty(), "the report page starts no session: {cookies:?}");
    let form = serde_urlencoded::to_string([
        ("kind", "illegal_production"),
        ("region_code", "220104"),
        ("description", SECRET_TEXT),
        ("identity", "named"),
        ("name", SECRET_NAME),
        ("phone", SECRET_PHONE),
    ])
    .unwrap();
    let request = Request::post("/report")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::USER_AGENT, AGENT)
        .header("x-forwarded-for", FORWARDED)
        .body(Body::from(form))
        .unwrap();
    let (status, cookies, page) = send(&router, request).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(cookies.is_empty(), "submitting starts no session");
    let receipt = page.split("id=\"receipt-code\">").nth(1).unwrap().split('<').next().unwrap().to_owned();

    // The API, anonymous; a follow-up with the code, a message, and a wrong code.
    let body = serde_json::json!({"kind": "major_danger", "region_code": "220104", "description": SECRET_TEXT, "anonymous": true}).to_string();
    let request =
        Request::post("/api/v1/tips").header(header::CONTENT_TYPE, "application/json").header(header::USER_AGENT, AGENT).body(Body::from(body)).unwrap();
    assert_eq!(send(&router, request).await.0, StatusCode::CREATED);
    let follow = serde_urlencoded::to_string([("receipt", receipt.as_str()), ("body", SECRET_TEXT)]).unwrap();
    let request = Request::post("/report/follow/message").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(follow)).unwrap();
    let (status, _, page) = send(&router, request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(SECRET_TEXT), "the reporter reads their own words back");
    // A photo whose EXIF names a place and a camera, and whose picture carries a marker.
    let mut jpeg = vec![0xFF, 0xD8];
    for (marker, body) in [(0xE0u8, &b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"[..]), (0xE1, b"Exif\0\0GPS-43.88N-SECRETCAM"), (0xDA, &[1, 1, 0, 0, 0x3F, 0])] {
        jpeg.extend_from_slice(&[0xFF, marker]);
        jpeg.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        jpeg.extend_from_slice(body);
    }
    jpeg.extend_from_slice(b"PIXELMARK-ZQ7");
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    let mut multipart = format!("--B\r\nContent-Disposition: form-data; name=\"receipt\"\r\n\r\n{receipt}\r\n--B\r\nContent-Disposition: form-data; name=\"files\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").into_bytes();
    multipart.extend_from_slice(&jpeg);
    multipart.extend_from_slice(b"\r\n--B--\r\n");
    let request = Request::post("/report/follow/files").header(header::CONTENT_TYPE, "multipart/form-data; boundary=B").body(Body::from(multipart)).unwrap();
    let (status, _, page) = send(&router, request).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let request = Request::post("/api/v1/tips/follow-up")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"receipt":"0000-0000-0000-0000-0000-0000"}"#))
        .unwrap();
    assert_eq!(send(&router, request).await.0, StatusCode::NOT_FOUND);
    // A handler opens it (the identity stays sealed).
    let chaoyang = app.actor_for_user(&app.store.user_by_username("chaoyang").await.unwrap().unwrap()).await.unwrap();
    let tips = app.tips(&chaoyang, &app::Client::cli()).await.unwrap();
    let view = app.tip_view(&chaoyang, &app::Client::cli(), tips[0].id).await.unwrap();
    assert!(view.content.description.contains("秘密内容"));
    let tip_with_photo = tips.iter().find(|t| !t.anonymous).unwrap().id;
    let photo = app.tip_view(&chaoyang, &app::Client::cli(), tip_with_photo).await.unwrap().attachments[0].id;
    let (_, bytes) = app.tip_attachment(&chaoyang, &app::Client::cli(), tip_with_photo, photo).await.unwrap();
    assert!(contains(&bytes, b"PIXELMARK-ZQ7") && !contains(&bytes, b"SECRETCAM"), "the handler gets the picture without its EXIF");

    assert_eq!(db.store.session_count().await.unwrap(), sessions_before, "no session was stored for a tip");
    db.store.close().await;

    // The files: the database and its write-ahead log.
    let path = db.url.trim_start_matches("sqlite://").to_owned();
    let mut checked = 0;
    for file in [path.clone(), format!("{path}-wal"), format!("{path}-shm")] {
        let Ok(bytes) = std::fs::read(&file) else { continue };
        checked += 1;
        for secret in ["秘密内容ZQX7", SECRET_NAME, SECRET_PHONE, ADDRESS, FORWARDED, AGENT, "PIXELMARK-ZQ7", "SECRETCAM"] {
            assert!(!contains(&bytes, secret.as_bytes()), "{file} holds {secret}");
        }
    }
    assert!(checked >= 1, "the database file was read");
    // The check can fail: the demo's own words are in the file.
    assert!(contains(&std::fs::read(&path).unwrap(), "朝阳区".as_bytes()), "the check sees plain text where there is some");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.is_empty(), "the logs were captured");
    for secret in ["秘密内容ZQX7", SECRET_NAME, SECRET_PHONE, ADDRESS, FORWARDED, AGENT] {
        assert!(!logs.contains(secret), "a log line carries {secret}");
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
