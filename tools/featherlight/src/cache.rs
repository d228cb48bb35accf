//! `featherlight cache`: where compiled components are cached, how much they take, and
//! clearing them. The cache's size bound is the global `--cache-max-size`.

use anyhow::Context;
use clap::{Args, Subcommand};
use featherlight::CompileCache;

use crate::options::Session;
use crate::report::outln;
use crate::size::size;

/// `featherlight cache dir|info|clear`
#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    action: CacheAction,
}

/// What to do with the cache.
#[derive(Debug, Subcommand)]
enum CacheAction {
    /// Prints the cache directory.
    Dir,
    /// Prints the cache directory, how many entries (compiled components and warm
    /// snapshots) it holds, their size and the bound.
    Info,
    /// Removes every compiled component and warm snapshot from the cache (and files killed
    /// runs left).
    Clear,
}

/// Runs `featherlight cache`.
pub fn cache(args: &CacheArgs, session: &Session) -> anyhow::Result<()> {
    let cache = CompileCache::for_config(&session.config()?).context("the compile cache is off (--no-cache)")?;
    let dir = cache.dir().display();
    match args.action {
        CacheAction::Dir => outln!("{dir}"),
        CacheAction::Info => {
            let usage = cache.usage().with_context(|| format!("cannot read the cache in {dir}"))?;
            outln!("directory: {dir}");
            outln!("entries:   {}", usage.entries);
            outln!("size:      {} of at most {}", size(usage.bytes), size(cache.max_size()));
        }
        CacheAction::Clear => {
            let removed = cache.clear().with_context(|| format!("cannot clear the cache in {dir}"))?;
            outln!("removed {} entries ({}) from {dir}", removed.entries, size(removed.bytes));
        }
    }
    Ok(())
}
