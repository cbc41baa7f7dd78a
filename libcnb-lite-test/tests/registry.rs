//! Publishing to a real registry: Debian's `docker-registry` (CNCF distribution) on 127.0.0.1
//! with a temporary storage dir, and `skopeo`. A rebuild after a one-layer bump uploads that
//! layer, the config and the manifest, and nothing else: the registry's blob store tells.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::collections::BTreeSet;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use libcnb_lite_test::oci::{
    ImageOptions, PublishedImage, RegistryOptions, publish, tools_available,
};
use libcnb_lite_test::{BuildConfig, BuildpackReference, TestContext, TestRunner};

const ID: &str = "fixture/incremental";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn config(version: &str) -> BuildConfig {
    BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([other(fixture("incremental"))])
        .env("VERSION", version)
        .clone()
}

/// `docker-registry serve` on a free port of 127.0.0.1, killed when dropped.
struct Registry {
    child: Child,
    storage: PathBuf,
    log: PathBuf,
    address: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let storage = dir.path().join("storage");
        let config = dir.path().join("config.yml");
        fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                storage.display()
            ),
        )
        .unwrap();
        let log = dir.path().join("log");
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        for _ in 0..1000 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self {
                    child,
                    storage,
                    log,
                    address: format!("127.0.0.1:{port}"),
                    _dir: dir,
                };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("docker-registry did not listen on 127.0.0.1:{port}");
    }

    /// Every blob the registry stores, as `sha256:<hex>`.
    fn blobs(&self) -> BTreeSet<String> {
        let root = self.storage.join("docker/registry/v2/blobs/sha256");
        let mut blobs = BTreeSet::new();
        for prefix in fs::read_dir(root).unwrap() {
            for blob in fs::read_dir(prefix.unwrap().path()).unwrap() {
                let blob = blob.unwrap();
                assert!(blob.path().join("data").is_file());
                blobs.insert(format!("sha256:{}", blob.file_name().to_str().unwrap()));
            }
        }
        blobs
    }

    /// The blobs uploaded so far (`PUT …/blobs/uploads/…?digest=…`, in order) and the number
    /// of manifests pushed, from the registry's access log.
    fn uploads(&self) -> (Vec<String>, usize) {
        let log = fs::read_to_string(&self.log).unwrap();
        let puts = log
            .lines()
            .filter(|line| line.contains("http.request.method=PUT"));
        let mut blobs = Vec::new();
        let mut manifests = 0;
        for line in puts {
            if line.contains("/manifests/") {
                manifests += 1;
            } else if let Some((_, digest)) = line.split_once("digest=sha256%3A") {
                blobs.push(format!("sha256:{}", &digest[..64]));
            }
        }
        (blobs, manifests)
    }

    fn publish(&self, ctx: &TestContext<'_>) -> PublishedImage {
        publish(
            ctx.state_dir(),
            &format!("{}/incremental:latest", self.address),
            &ImageOptions::new(),
            &RegistryOptions::new().insecure(true),
        )
        .unwrap()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_push_after_a_one_layer_bump_uploads_that_layer_the_config_and_the_manifest() {
    if !tools_available(
        "publishing to docker-registry",
        &["skopeo", "docker-registry"],
    ) {
        return;
    }
    let registry = Registry::start();
    TestRunner::default().build(config("1"), |first| {
        let pushed = registry.publish(&first);
        let before = registry.blobs();
        let mut expected: BTreeSet<String> =
            pushed.layers.iter().map(|l| l.digest.clone()).collect();
        expected.extend([pushed.config_digest.clone(), pushed.manifest_digest.clone()]);
        assert_eq!(before, expected, "the first push uploads every blob");
        let first_uploads = registry.uploads().0.len();
        assert_eq!(first_uploads, pushed.layers.len() + 1);

        first.rebuild(config("2"), |second| {
            let pushed = registry.publish(&second);
            let bumped = &pushed
                .layers
                .iter()
                .find(|layer| layer.name == format!("{ID}:bumped"))
                .unwrap()
                .digest;
            let uploaded: BTreeSet<String> =
                registry.blobs().difference(&before).cloned().collect();
            let expected: BTreeSet<String> = [
                bumped.clone(),
                pushed.config_digest.clone(),
                pushed.manifest_digest.clone(),
            ]
            .into();
            assert_eq!(uploaded, expected);
            // The registry's log: skopeo asked for every blob and uploaded only these.
            let (blobs, manifests) = registry.uploads();
            let uploaded: BTreeSet<&String> = blobs[first_uploads..].iter().collect();
            assert_eq!(uploaded, [bumped, &pushed.config_digest].into());
            assert_eq!(blobs.len(), first_uploads + 2, "each uploaded once");
            assert_eq!(manifests, 2);
        });
    });
}

/// A buildpack dir or crate dir as libcnb-test's `BuildpackReference::Other`.
fn other(path: impl AsRef<std::path::Path>) -> BuildpackReference {
    BuildpackReference::Other(path.as_ref().display().to_string())
}
