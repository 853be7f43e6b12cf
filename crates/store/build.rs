// `sqlx::migrate!` embeds the migrations at compile time but cannot tell cargo to watch them on a
// stable compiler: without this, an edited migration would not be rebuilt into the binary.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
