//! What the modules share: the web layer's settings for a router served over plain HTTP on
//! loopback, as the tests serve it.

/// Plain HTTP (no secure cookies), no trusted proxy, the demo banner, the default limits.
pub fn local_settings() -> web::WebSettings {
    web::WebSettings {
        secure_cookies: false,
        demo_banner: true,
        proxies: Default::default(),
        requests_in_flight_max: web::REQUESTS_IN_FLIGHT_MAX,
        site: Default::default(),
    }
}
