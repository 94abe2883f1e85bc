//! What the per-call benches share (`benches/overhead.rs` and `benches/peer-clerk-rs`, which
//! include this file by path): a global allocator that counts the allocations and bytes of the
//! thread that makes them, and the local server with the invitation it answers with.

/// Counts the allocations (and bytes) of the thread that makes them.
pub struct Counting;

thread_local! {
    static ALLOCS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    static BYTES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        let _ = BYTES.try_with(|c| c.set(c.get() + layout.size() as u64));
        // SAFETY: forwards the caller's layout to the system allocator.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        let _ = BYTES.try_with(|c| c.set(c.get() + new as u64));
        // SAFETY: as for `alloc`; `ptr` came from this allocator with `layout`.
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations and bytes allocated so far by this thread.
pub fn counted() -> (u64, u64) {
    (ALLOCS.with(|c| c.get()), BYTES.with(|c| c.get()))
}

/// The invitation the local server answers with (`i` makes the id and address unique).
pub fn invitation(i: usize) -> serde_json::Value {
    serde_json::json!({
        "object": "invitation",
        "id": format!("inv_{i:027}"),
        "email_address": format!("person{i}@example.com"),
        "public_metadata": {"plan": "team"},
        "status": "pending",
        "url": "https://accounts.example.com/v1/tickets/accept?ticket=abc",
        "expires_at": 1_792_338_268_538_i64,
        "created_at": 1_789_746_268_539_i64,
        "updated_at": 1_789_746_268_539_i64,
    })
}

/// Starts the local server on a thread and runtime of its own, answering `GET /v1/invitations`
/// with `list` and `POST /v1/invitations` with one invitation; returns its base URL. The
/// callers run on another thread (the main one): on a 2-core machine each side gets a core and
/// the callers' CPU cost is what limits.
pub fn serve(list: serde_json::Value) -> String {
    let list = serde_json::to_vec(&list).unwrap();
    let one = serde_json::to_vec(&invitation(1)).unwrap();
    let json = |b: Vec<u8>| ([("content-type", "application/json")], b);
    let app = axum::Router::new().route(
        "/v1/invitations",
        axum::routing::get(move || {
            let b = list.clone();
            async move { json(b) }
        })
        .post(move || {
            let b = one.clone();
            async move { json(b) }
        }),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{}/v1", rx.recv().unwrap())
}
