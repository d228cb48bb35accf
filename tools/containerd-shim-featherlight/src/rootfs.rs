//! Finding the entrypoint component in a container's root filesystem, without mounting
//! it: the shim reads one file, so it looks through the snapshot's directories (a bind
//! mount's source, an overlay's upper then lower directories) as the mount would show
//! them. Nothing is mounted, so nothing is left to unmount.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use containerd_shim::protos::api::Mount;
use rustix::fs::{Mode, OFlags, ResolveFlags};

/// The directories the root filesystem's files come from, topmost first: the rootfs
/// mounts containerd passed (none: the bundle's own `rootfs` directory holds them).
pub fn layers(bundle: &Path, root: &Path, mounts: &[Mount]) -> anyhow::Result<Vec<PathBuf>> {
    let Some(mount) = mounts.first() else {
        return Ok(vec![bundle.join(root)]);
    };
    if mounts.len() > 1 {
        bail!("{} root filesystem mounts; the featherlight shim takes one", mounts.len());
    }
    match mount.type_.as_str() {
        "bind" | "rbind" => Ok(vec![PathBuf::from(&mount.source)]),
        "overlay" => {
            let mut layers = Vec::new();
            for option in &mount.options {
                if let Some(upper) = option.strip_prefix("upperdir=") {
                    layers.insert(0, PathBuf::from(upper));
                } else if let Some(lower) = option.strip_prefix("lowerdir=") {
                    layers.extend(lower.split(':').map(PathBuf::from));
                }
            }
            Ok(layers)
        }
        other => bail!("the root filesystem is a `{other}` mount; the featherlight shim reads bind and overlay mounts"),
    }
}

/// Opens `path` (absolute, as in the image) in the topmost layer that has it. Each layer
/// is its own root: symbolic links and `..` resolve inside it, never on the host.
pub fn open(layers: &[PathBuf], path: &str) -> anyhow::Result<File> {
    for layer in layers {
        let dir =
            File::open(layer).with_context(|| format!("cannot open the root filesystem `{}`", layer.display()))?;
        let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
        match rustix::fs::openat2(&dir, path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty(), resolve) {
            Ok(fd) => {
                let file = File::from(fd);
                let metadata = file.metadata()?;
                // A character device is an overlay whiteout: deleted in an upper layer.
                if !metadata.is_file() {
                    bail!("`{path}` in the image is not a regular file");
                }
                return Ok(file);
            }
            Err(rustix::io::Errno::NOENT) => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot open `{path}` in the image")),
        }
    }
    bail!("the image has no `{path}`: the entrypoint must name the component, like /app.wasm")
}
