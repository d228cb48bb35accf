//! The example plugin (see `wit/plugin.wit`): serves `GET`, `PUT` and
//! `DELETE` on keys of the key-value store its host provides.

wit_bindgen::generate!({
    path: "wit",
    world: "plugin",
});

use example::kv::store::{self, StoreError};
use exports::example::kv::api::{Guest, Request, Response};

/// The plugin's implementation of its world's exports.
struct Plugin;

fn response(status: u16, body: impl Into<Vec<u8>>) -> Response {
    Response { status, body: body.into() }
}

fn store_error(error: StoreError) -> Response {
    match error {
        StoreError::InvalidKey(why) => response(400, format!("invalid key: {why}")),
        StoreError::Full => response(507, "the store is full"),
    }
}

impl Guest for Plugin {
    fn handle(request: Request) -> Response {
        log(&format!("{} {}", request.method, request.path));
        let Some(key) = request.path.strip_prefix('/') else {
            return response(400, "paths start with /");
        };
        match (request.method.as_str(), request.body) {
            ("GET", _) => match store::get(key) {
                Ok(Some(value)) => response(200, value),
                Ok(None) => response(404, "no such key"),
                Err(e) => store_error(e),
            },
            ("PUT", Some(body)) => match store::set(key, &body) {
                Ok(()) => response(204, ""),
                Err(e) => store_error(e),
            },
            ("PUT", None) => response(400, "PUT needs a body"),
            ("DELETE", _) => {
                if store::delete(key) {
                    response(204, "")
                } else {
                    response(404, "no such key")
                }
            }
            _ => response(405, "use GET, PUT or DELETE"),
        }
    }
}

export!(Plugin);
