//! The `convene` binary; everything it does is in [`convene::cli`].

/// mimalloc rather than glibc's malloc: the request path allocates small, short-lived
/// buffers on every thread, which glibc served with arena locks and consolidation (a sixth of
/// the hub's CPU under load) and with a peak RSS several times the working set. The crate's
/// `override` feature routes the C library's `malloc` to mimalloc too, so the bundled
/// SQLite's allocations (one per column of every row sqlx reads) leave glibc as well.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    convene::cli::main()
}
