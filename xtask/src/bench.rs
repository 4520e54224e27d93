//! `cargo xtask bench`: figures, not tests.

/// Runs the named benchmarks.
pub fn main(_args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("benchmarks are not wired yet")
}
