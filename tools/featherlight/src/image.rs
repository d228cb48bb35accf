//! `featherlight image build`: an OCI image tarball holding one component, for
//! containerd (`ctr image import`) and so Kubernetes, without Docker or a network.
//!
//! The image has one plain (uncompressed) layer with the component at `/app.wasm` and that
//! path as its entrypoint, for `linux/amd64`, as classic Wasm images are: containerd 1.6
//! unpacks and runs it with any runtime, and `containerd-shim-featherlight-v1` runs the
//! component. The tarball is an OCI image layout (`oci-layout`, `index.json`, `blobs/`)
//! with a Docker-style `manifest.json` beside it, so `docker load` takes it too. Everything
//! in it is deterministic: the same component and tag give the same bytes.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use oci_spec::image::{
    ANNOTATION_REF_NAME, Arch, ConfigBuilder, Descriptor, DescriptorBuilder, ImageConfigurationBuilder,
    ImageIndexBuilder, ImageManifestBuilder, MediaType, OciLayoutBuilder, Os, PlatformBuilder, RootFsBuilder,
    Sha256Digest,
};
use sha2::{Digest, Sha256};

use crate::report::outln;

/// The annotation containerd reads an imported image's name from.
const CONTAINERD_IMAGE_NAME: &str = "io.containerd.image.name";

/// `featherlight image SUBCOMMAND`
#[derive(Debug, Args)]
pub struct ImageArgs {
    #[command(subcommand)]
    command: ImageCommand,
}

#[derive(Debug, Subcommand)]
enum ImageCommand {
    /// Writes an OCI image tarball holding COMPONENT at /app.wasm, its entrypoint.
    #[command(after_help = "\
Import it with `ctr image import image.tar` and run it with the featherlight runtime:
  ctr run --rm --runtime io.containerd.featherlight.v1 NAME:TAG demo [ARGS]...
docs/kubernetes.md sets up containerd and Kubernetes.")]
    Build(BuildArgs),
}

/// `featherlight image build COMPONENT --tag NAME:TAG -o FILE`
#[derive(Debug, Args)]
struct BuildArgs {
    /// The component (a `.wasm` component file).
    #[arg(value_name = "COMPONENT")]
    component: PathBuf,

    /// The image's name, as `ctr` and Kubernetes will name it: `hello:1.0`,
    /// `registry.example/team/hello:1.0` (without a tag, `latest`).
    #[arg(long, short = 't', value_name = "NAME:TAG")]
    tag: String,

    /// Where to write the tarball.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,

    /// Where the file goes in the image, and so the entrypoint [default: /app.wasm].
    /// Any other file than a component is taken as it is (for a native baseline image).
    #[arg(long, value_name = "PATH", default_value = "/app.wasm", hide = true)]
    path: String,
}

/// Runs `featherlight image`.
pub fn image(args: &ImageArgs) -> anyhow::Result<()> {
    match &args.command {
        ImageCommand::Build(build) => {
            crate::run::refuse_core_module(&build.component)?;
            let bytes = std::fs::read(&build.component)
                .with_context(|| format!("cannot read the component `{}`", build.component.display()))?;
            if build.path == "/app.wasm" && !bytes.starts_with(b"\0asm") {
                bail!("`{}` is not a WebAssembly component", build.component.display());
            }
            let tag = full_tag(&build.tag)?;
            write_image(&bytes, &build.path, &tag, &build.output)
                .with_context(|| format!("cannot write the image to `{}`", build.output.display()))?;
            outln!("wrote {} ({tag})", build.output.display());
            Ok(())
        }
    }
}

/// `name` with `:latest` added when it names no tag; refuses names containerd would not take.
fn full_tag(name: &str) -> anyhow::Result<String> {
    let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/:".contains(c);
    if name.is_empty() || !name.chars().all(valid) {
        bail!("`{name}` is not an image name: write NAME:TAG in lower case, like hello:1.0");
    }
    // A `:` after the last `/` starts the tag; one before it is a registry's port.
    let last_part = name.rsplit('/').next().unwrap_or(name);
    if last_part.is_empty() || last_part.starts_with(':') || name.ends_with(':') {
        bail!("`{name}` has an empty name or tag: write NAME:TAG, like hello:1.0");
    }
    Ok(if last_part.contains(':') { name.to_owned() } else { format!("{name}:latest") })
}

/// One blob: its bytes and the descriptor naming it.
struct Blob {
    bytes: Vec<u8>,
    descriptor: Descriptor,
}

impl Blob {
    fn new(media_type: MediaType, bytes: Vec<u8>) -> anyhow::Result<Self> {
        let digest = sha256(&bytes)?;
        let descriptor = Descriptor::new(media_type, bytes.len() as u64, digest);
        Ok(Self { bytes, descriptor })
    }

    /// Its path in the layout: `blobs/sha256/HEX`.
    fn path(&self) -> String {
        format!("blobs/sha256/{}", self.descriptor.digest().digest())
    }
}

fn sha256(bytes: &[u8]) -> anyhow::Result<Sha256Digest> {
    let hex: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    Ok(hex.parse()?)
}

/// Writes the image tarball of `file` at `path` in the image, named `tag`.
fn write_image(file: &[u8], path: &str, tag: &str, output: &Path) -> anyhow::Result<()> {
    let in_image = path.trim_start_matches('/');
    if in_image.is_empty() || in_image.split('/').any(|part| part.is_empty() || part == "..") {
        bail!("the path in the image `{path}` must be absolute and name a file");
    }
    let mut layer = tar::Builder::new(Vec::new());
    append_file(&mut layer, in_image, file, 0o755)?;
    let layer = Blob::new(MediaType::ImageLayer, layer.into_inner()?)?;

    let config = ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .config(ConfigBuilder::default().entrypoint(vec![format!("/{in_image}")]).build()?)
        .rootfs(RootFsBuilder::default().typ("layers").diff_ids(vec![layer.descriptor.digest().to_string()]).build()?)
        .build()?;
    let config = Blob::new(MediaType::ImageConfig, config.to_string()?.into_bytes())?;

    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(config.descriptor.clone())
        .layers(vec![layer.descriptor.clone()])
        .build()?;
    let manifest = Blob::new(MediaType::ImageManifest, manifest.to_string()?.into_bytes())?;

    let reference = tag.rsplit_once(':').map_or(tag, |(_, reference)| reference);
    let annotations = HashMap::from([
        (CONTAINERD_IMAGE_NAME.to_owned(), tag.to_owned()),
        (ANNOTATION_REF_NAME.to_owned(), reference.to_owned()),
    ]);
    let index_entry = DescriptorBuilder::default()
        .media_type(MediaType::ImageManifest)
        .digest(manifest.descriptor.digest().clone())
        .size(manifest.descriptor.size())
        .platform(PlatformBuilder::default().architecture(Arch::Amd64).os(Os::Linux).build()?)
        .annotations(annotations)
        .build()?;
    let index = ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(vec![index_entry])
        .build()?;
    let layout = OciLayoutBuilder::default().image_layout_version("1.0.0").build()?;
    // Docker's `docker save` format: which blob is the config, which the layers.
    let docker_manifest = serde_json::json!([{
        "Config": config.path(),
        "RepoTags": [tag],
        "Layers": [layer.path()],
    }]);

    let mut image = tar::Builder::new(BufWriter::new(File::create(output)?));
    append_dir(&mut image, "blobs")?;
    append_dir(&mut image, "blobs/sha256")?;
    for blob in [&layer, &config, &manifest] {
        append_file(&mut image, &blob.path(), &blob.bytes, 0o644)?;
    }
    append_file(&mut image, "oci-layout", layout.to_string()?.as_bytes(), 0o644)?;
    // Through serde_json's Value, whose maps are sorted: the annotations are a HashMap, and
    // its order would change the bytes from one build to the next.
    append_file(&mut image, "index.json", serde_json::to_value(&index)?.to_string().as_bytes(), 0o644)?;
    append_file(&mut image, "manifest.json", docker_manifest.to_string().as_bytes(), 0o644)?;
    image.into_inner()?.flush()?;
    Ok(())
}

/// Appends a regular file owned by root, dated the epoch (so images are reproducible).
fn append_file<W: Write>(tar: &mut tar::Builder<W>, path: &str, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(bytes.len() as u64);
    header.set_mode(mode);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    tar.append_data(&mut header, path, bytes)
}

fn append_dir<W: Write>(tar: &mut tar::Builder<W>, path: &str) -> std::io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_size(0);
    header.set_mode(0o755);
    header.set_mtime(0);
    tar.append_data(&mut header, format!("{path}/"), std::io::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_get_latest_when_they_name_none() {
        assert_eq!(full_tag("hello").unwrap(), "hello:latest");
        assert_eq!(full_tag("hello:1.0").unwrap(), "hello:1.0");
        assert_eq!(full_tag("localhost:5000/team/hello").unwrap(), "localhost:5000/team/hello:latest");
        assert_eq!(full_tag("localhost:5000/hello:v2").unwrap(), "localhost:5000/hello:v2");
        assert!(full_tag("").is_err());
        assert!(full_tag("hello:").is_err());
        assert!(full_tag("Hello:1").is_err());
        assert!(full_tag("hello world").is_err());
    }

    #[test]
    fn the_image_holds_the_component_as_its_entrypoint() {
        let dir = std::env::temp_dir().join(format!("featherlight-image-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let output = dir.join("image.tar");
        write_image(b"\0asm\x0d\0\x01\0", "/app.wasm", "hello:1.0", &output).unwrap();
        let first = std::fs::read(&output).unwrap();
        write_image(b"\0asm\x0d\0\x01\0", "/app.wasm", "hello:1.0", &output).unwrap();
        assert_eq!(first, std::fs::read(&output).unwrap(), "the same input gives the same image");

        let mut archive = tar::Archive::new(first.as_slice());
        let mut files = HashMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
            files.insert(path, bytes);
        }
        let index: serde_json::Value = serde_json::from_slice(&files["index.json"]).unwrap();
        let entry = &index["manifests"][0];
        assert_eq!(entry["annotations"][CONTAINERD_IMAGE_NAME], "hello:1.0");
        let blob = |digest: &serde_json::Value| {
            let digest = digest.as_str().unwrap().strip_prefix("sha256:").unwrap();
            let bytes = &files[&format!("blobs/sha256/{digest}")];
            assert_eq!(sha256(bytes).unwrap().digest(), digest, "blobs are named by their digest");
            bytes.clone()
        };
        let manifest: serde_json::Value = serde_json::from_slice(&blob(&entry["digest"])).unwrap();
        let config: serde_json::Value = serde_json::from_slice(&blob(&manifest["config"]["digest"])).unwrap();
        assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/app.wasm"]));
        assert_eq!(config["os"], "linux");
        let layer = blob(&manifest["layers"][0]["digest"]);
        let mut layer = tar::Archive::new(layer.as_slice());
        let mut entry = layer.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(entry.path().unwrap().to_str(), Some("app.wasm"));
        let mut component = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut component).unwrap();
        assert_eq!(component, b"\0asm\x0d\0\x01\0");
        let docker: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!(docker[0]["RepoTags"][0], "hello:1.0");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
