//! Layer env through the local lifecycle, over two builds: what the second buildpack of the
//! group sees at build time, what the `web` and `worker` processes see at launch, and what
//! `read_env` predicts, all checked against the lifecycle's rules
//! ([spec: Environment](https://github.com/buildpacks/spec/blob/main/buildpack.md#environment)).

use std::collections::BTreeMap;

use libcnb_lite_test::{BuildConfig, BuildpackReference, TestContext, TestRunner, assert_contains};

/// The env buildpack (this crate) and the reader: a second buildpack made of this crate's
/// `env-reader` binary and `reader/buildpack.toml`, packaged into a temporary dir whose
/// `bin/detect` and `bin/build` link to the binary.
fn config() -> (tempfile::TempDir, BuildConfig) {
    let manifest_dir = env!("CARGO_MANIFEST_DIR");
    let reader = tempfile::tempdir().expect("a temporary dir for the reader buildpack");
    std::fs::copy(
        format!("{manifest_dir}/reader/buildpack.toml"),
        reader.path().join("buildpack.toml"),
    )
    .expect("reader/buildpack.toml copied");
    std::fs::create_dir(reader.path().join("bin")).expect("the reader's bin dir");
    for name in ["detect", "build"] {
        std::os::unix::fs::symlink(
            env!("CARGO_BIN_EXE_env-reader"),
            reader.path().join("bin").join(name),
        )
        .expect("the reader's executables linked");
    }
    let mut config = BuildConfig::new(
        "heroku/builder:24",
        format!("{manifest_dir}/tests/fixtures/app"),
    );
    config
        .buildpacks([
            BuildpackReference::CurrentCrate,
            BuildpackReference::Other(reader.path().display().to_string()),
        ])
        // A user's platform env var: re-applied over the layers' env for every buildpack.
        .env("ENVTEST_PLATFORM", "user");
    (reader, config)
}

/// `NAME=value` pairs of the lines that start with `prefix`.
fn vars(output: &str, prefix: &str) -> BTreeMap<String, String> {
    output
        .lines()
        .filter_map(|line| line.strip_prefix(prefix))
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

fn envtest(vars: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    vars.iter()
        .filter(|(name, _)| name.starts_with("ENVTEST_"))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// Only the variables whose names start with one of `prefixes`.
fn only(vars: &BTreeMap<String, String>, prefixes: &[&str]) -> BTreeMap<String, String> {
    vars.iter()
        .filter(|(name, _)| prefixes.iter().any(|prefix| name.starts_with(prefix)))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// The `ENVTEST_<S>_*` values from `base` and `matrix`, for scopes `S` whose env dirs apply.
fn matrix_vars(applied: &[&str]) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for scope in ["ALL", "BUILD", "LAUNCH", "PROC"] {
        let on = applied.contains(&scope);
        let mut set = |suffix: &str, value: &str| {
            vars.insert(format!("ENVTEST_{scope}_{suffix}"), value.to_owned());
        };
        set("OVERRIDE", if on { "matrix" } else { "base" });
        if on {
            set("DEFAULT", "matrix");
        }
        set("DEFAULT_KEPT", "base");
        set("APPEND", if on { "base:matrix" } else { "base" });
        set("PREPEND", if on { "matrix:base" } else { "base" });
        // No `.delim` file: the values are concatenated.
        set("NO_DELIM", if on { "basematrix" } else { "base" });
    }
    // `base` sets "base"; then append "base-a", override "o", prepend "p-o".
    vars.insert("ENVTEST_MIX".into(), "p-o".into());
    vars
}

fn with(mut vars: BTreeMap<String, String>, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    for (name, value) in extra {
        vars.insert((*name).to_owned(), (*value).to_owned());
    }
    vars
}

/// The layer's path as the buildpack saw it: `/layers/…` in the sandbox, else in the state dir.
fn layer_dir(ctx: &TestContext<'_>, name: &str) -> String {
    let layers = if libcnb_lite_test::builds_at_lifecycle_paths() {
        std::path::PathBuf::from("/layers")
    } else {
        ctx.layers_dir()
    };
    layers.join("test_env").join(name).display().to_string()
}

fn starts_with(value: Option<&String>, prefix: &str) -> bool {
    value.is_some_and(|value| value.starts_with(prefix))
}

fn check_build(ctx: &TestContext<'_>) {
    // The writer sees none of its own layers' env, only the platform env.
    assert_eq!(
        vars(&ctx.pack_stdout, "own: "),
        BTreeMap::from([("ENVTEST_PLATFORM".to_owned(), "user".to_owned())])
    );

    // Build time: env/ and env.build/ of build layers; launch-only layers and env.launch/ are
    // ignored; layers in `<name>.toml` order (sort-b.toml < sort.toml, each one prepending);
    // the platform env beats the layers.
    let reader = vars(&ctx.pack_stdout, "reader: ");
    let expected_build = with(
        matrix_vars(&["ALL", "BUILD"]),
        &[
            ("ENVTEST_PLATFORM", "user"),
            ("ENVTEST_ORDER", "sort:sort-b"),
            ("ENVTEST_LAYER_BUILD_ONLY", "yes"),
        ],
    );
    assert_eq!(envtest(&reader), expected_build);

    // Per layer: root dirs, then env files; later layers in front.
    let (matrix, base) = (layer_dir(ctx, "matrix"), layer_dir(ctx, "base"));
    let path = reader.get("PATH");
    assert!(
        starts_with(path, &format!("/matrix-tools:{matrix}/bin:{base}/bin:")),
        "{path:?}"
    );
    for (var, dir) in [
        ("LIBRARY_PATH", "lib"),
        ("LD_LIBRARY_PATH", "lib"),
        ("CPATH", "include"),
        ("PKG_CONFIG_PATH", "pkgconfig"),
    ] {
        let value = reader.get(var);
        assert!(
            starts_with(value, &format!("{matrix}/{dir}")),
            "{var}={value:?}"
        );
    }

    // read_env agrees with the lifecycle for `base` + `matrix`.
    let matrix_prefixes = [
        "ENVTEST_ALL_",
        "ENVTEST_BUILD_",
        "ENVTEST_LAUNCH_",
        "ENVTEST_PROC_",
        "ENVTEST_MIX",
    ];
    assert_eq!(
        vars(&ctx.pack_stdout, "read_env build: "),
        with(
            only(&expected_build, &matrix_prefixes),
            &[("ENVTEST_PLATFORM", "layer")]
        )
    );

    // Launch: per buildpack all root dirs first, then each layer's env/, env.launch/ and
    // env.launch/<process>/, in `<name>` order (sort < sort-b); no platform env.
    let web = ctx.run_process(None, None);
    assert_eq!(web.status, Some(0), "{}", web.stderr);
    let web = vars(&web.stdout, "");
    let launch_extra = [
        ("ENVTEST_PLATFORM", "layer"),
        ("ENVTEST_ORDER", "sort-b:sort"),
        ("ENVTEST_LAYER_LAUNCH_ONLY", "yes"),
    ];
    let expected_web = with(matrix_vars(&["ALL", "LAUNCH", "PROC"]), &launch_extra);
    assert_eq!(envtest(&web), expected_web);
    let path = web.get("PATH");
    assert!(
        starts_with(path, &format!("{matrix}/bin:{base}/bin:")),
        "{path:?}"
    );
    assert!(starts_with(
        web.get("LD_LIBRARY_PATH"),
        &format!("{matrix}/lib")
    ));
    for var in ["LIBRARY_PATH", "CPATH", "PKG_CONFIG_PATH"] {
        assert!(
            !web.get(var).is_some_and(|value| value.contains(&matrix)),
            "{var} at launch: {:?}",
            web.get(var)
        );
    }

    let worker = ctx.run_process(Some("worker"), None);
    assert_eq!(worker.status, Some(0), "{}", worker.stderr);
    let worker = envtest(&vars(&worker.stdout, ""));
    assert_eq!(worker, with(matrix_vars(&["ALL", "LAUNCH"]), &launch_extra));

    // read_env: `Scope::Launch` is env/ + env.launch/, what every process gets;
    // `Scope::Process` is env/ + env.launch/<process>/ (libcnb's definition, without
    // env.launch/), so it matches the `web` process for the variables of those dirs.
    assert_eq!(
        vars(&ctx.pack_stdout, "read_env launch: "),
        only(&worker, &matrix_prefixes)
            .into_iter()
            .chain([("ENVTEST_PLATFORM".to_owned(), "layer".to_owned())])
            .collect()
    );
    let process_prefixes = ["ENVTEST_ALL_", "ENVTEST_PROC_", "ENVTEST_MIX"];
    assert_eq!(
        only(&vars(&ctx.pack_stdout, "read_env web: "), &process_prefixes),
        only(&expected_web, &process_prefixes)
    );
}

#[test]
fn layer_env_in_every_scope_and_behaviour_across_two_builds() {
    let (_reader, config) = config();
    TestRunner::default().build(config.clone(), |ctx| {
        assert_contains!(ctx.pack_stdout, "matrix: created\n");
        check_build(&ctx);

        // The cached `matrix` layer comes back with its env files intact.
        ctx.rebuild(config, |ctx| {
            assert_contains!(ctx.pack_stdout, "matrix: restored\n");
            assert_contains!(
                ctx.pack_stdout,
                "matrix: restored env equals what was written\n"
            );
            check_build(&ctx);
        });
    });
}
