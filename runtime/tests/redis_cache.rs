//! The Redis cache backend against a real `redis-server` that each test
//! starts on a free loopback port (skipped, with the reason printed, when
//! `redis-server` is not installed; `.ci/run` installs it).
//!
//! Run with `cargo test -p asterism-runtime --features redis --test redis_cache`.
#![cfg(feature = "redis")]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asterism_compiler::CValue;
use asterism_runtime::module::{ModuleError, ModuleOutput};
use asterism_runtime::options::redis::{decode, encode, RedisCache};
use asterism_runtime::options::{
    Bounds, CacheKey, CacheSpec, CallPolicy, ModuleRef, PolicyNode, Settled,
};
use uuid::Uuid;

/// A `redis-server` child process on a free loopback port, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Option<Server> {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            eprintln!("skipped: `redis-server` is not installed (apt-get install -y redis-server)");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let server = Server { child, port };
        // Wait until it answers PING (it starts in milliseconds; the bound
        // only keeps a broken install from hanging the test).
        let client = redis::Client::open(server.url()).unwrap();
        for _ in 0..500 {
            if let Ok(mut c) = client.get_connection() {
                if redis::cmd("PING").query::<String>(&mut c).is_ok() {
                    return Some(server);
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server on port {port} never answered PING");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn raw(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn cached_node(backend: Arc<RedisCache>, ttl: Duration) -> PolicyNode {
    let policy = CallPolicy {
        cache: Some(CacheSpec {
            ttl,
            backend: "redis".into(),
        }),
        ..Default::default()
    };
    let module = ModuleRef {
        uuid: Uuid::from_u128(3),
        name: "Profile".into(),
    };
    PolicyNode::new(module, policy, Some(backend))
}

fn profile(calls: &AtomicU32) -> Result<ModuleOutput, ModuleError> {
    calls.fetch_add(1, Ordering::SeqCst);
    Ok(ModuleOutput::One(CValue::record([
        ("name", CValue::from("Ada")),
        ("age", CValue::Int(36)),
    ])))
}

#[tokio::test]
async fn hit_and_miss_share_values_in_tagged_json() {
    let Some(server) = Server::start() else {
        return;
    };
    let backend = Arc::new(RedisCache::new(&server.url()).unwrap());
    let node = cached_node(backend.clone(), Duration::from_secs(60));
    let calls = AtomicU32::new(0);
    let id = CValue::from("u1");

    let (first, o) = node
        .run(&[&id], &Bounds::default(), || async { profile(&calls) })
        .await;
    assert!(!o.from_cache);
    let (second, o) = node
        .run(&[&id], &Bounds::default(), || async { profile(&calls) })
        .await;
    assert!(o.from_cache);
    assert_eq!(first, second);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Stored as our tagged JSON, with the TTL.
    let key = CacheKey::new("Profile", &[&id]);
    let mut raw = server.raw();
    let text: String = redis::cmd("GET")
        .arg(backend.redis_key(&key))
        .query(&mut raw)
        .unwrap();
    assert!(text.starts_with(r#"{"tag":"CProduct""#), "{text}");
    let Settled::Output(v) = &first else {
        panic!("{first:?}")
    };
    assert_eq!(decode(&text).as_ref(), Some(&**v));
    let pttl: i64 = redis::cmd("PTTL")
        .arg(backend.redis_key(&key))
        .query(&mut raw)
        .unwrap();
    assert!(pttl > 0 && pttl <= 60_000, "{pttl}");

    // Other inputs miss; the blocking form reads the same entries.
    let (_, o) = node.run_blocking(&[&CValue::from("u2")], &Bounds::default(), || {
        profile(&calls)
    });
    assert!(!o.from_cache);
    let (_, o) = node.run_blocking(&[&id], &Bounds::default(), || profile(&calls));
    assert!(o.from_cache);
    let c = node.counters().snapshot();
    assert_eq!((c.cache_hits, c.cache_misses, c.cache_errors), (2, 2, 0));
}

#[tokio::test]
async fn an_entry_expires_after_its_ttl() {
    let Some(server) = Server::start() else {
        return;
    };
    let backend = Arc::new(RedisCache::new(&server.url()).unwrap());
    let node = cached_node(backend.clone(), Duration::from_millis(1));
    let calls = AtomicU32::new(0);
    let id = CValue::from("u1");
    node.run(&[&id], &Bounds::default(), || async { profile(&calls) })
        .await;
    // Redis expires the key itself; wait for it to be gone (1 ms TTL).
    let key = backend.redis_key(&CacheKey::new("Profile", &[&id]));
    let mut raw = server.raw();
    while redis::cmd("EXISTS")
        .arg(&key)
        .query::<i64>(&mut raw)
        .unwrap()
        == 1
    {
        tokio::task::yield_now().await;
    }
    let (_, o) = node
        .run(&[&id], &Bounds::default(), || async { profile(&calls) })
        .await;
    assert!(!o.from_cache, "expired: a miss");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_corrupt_entry_is_a_miss_and_is_replaced() {
    let Some(server) = Server::start() else {
        return;
    };
    let backend = Arc::new(RedisCache::new(&server.url()).unwrap());
    let node = cached_node(backend.clone(), Duration::from_secs(60));
    let id = CValue::from("u1");
    let key = backend.redis_key(&CacheKey::new("Profile", &[&id]));
    let mut raw = server.raw();
    redis::cmd("SET")
        .arg(&key)
        .arg(r#"{"tag":"CInt","valu"#)
        .query::<()>(&mut raw)
        .unwrap();
    let calls = AtomicU32::new(0);
    let (settled, o) = node
        .run(&[&id], &Bounds::default(), || async { profile(&calls) })
        .await;
    assert!(matches!(settled, Settled::Output(_)));
    assert!(!o.from_cache);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let c = node.counters().snapshot();
    assert_eq!((c.cache_misses, c.cache_errors), (1, 0));
    let text: String = redis::cmd("GET").arg(&key).query(&mut raw).unwrap();
    assert!(decode(&text).is_some(), "replaced by a good entry");
}

#[tokio::test]
async fn the_server_going_away_mid_run_means_uncached_calls_never_failures() {
    let Some(mut server) = Server::start() else {
        return;
    };
    let backend = Arc::new(RedisCache::new(&server.url()).unwrap());
    let node = cached_node(backend, Duration::from_secs(60));
    let calls = AtomicU32::new(0);
    let id = CValue::from("u1");
    node.run(&[&id], &Bounds::default(), || async { profile(&calls) })
        .await;
    let (_, o) = node
        .run(&[&id], &Bounds::default(), || async { profile(&calls) })
        .await;
    assert!(o.from_cache);

    server.stop();
    for _ in 0..3 {
        let (settled, o) = node
            .run(&[&id], &Bounds::default(), || async { profile(&calls) })
            .await;
        assert!(matches!(settled, Settled::Output(_)), "{settled:?}");
        assert!(!o.from_cache);
        assert_eq!(o.attempts, 1);
    }
    let (settled, _) = node.run_blocking(&[&id], &Bounds::default(), || profile(&calls));
    assert!(matches!(settled, Settled::Output(_)));
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    let c = node.counters().snapshot();
    assert_eq!(
        c.cache_errors, 4,
        "one per call: the lookup fails, no store is tried"
    );
}

#[test]
fn several_outputs_round_trip_as_a_json_array() {
    let many = ModuleOutput::Many(vec![CValue::Int(1), CValue::from("x")]);
    let text = encode(&many);
    assert!(text.starts_with('['));
    assert_eq!(decode(&text), Some(many));
    assert_eq!(decode("nonsense"), None);
}
