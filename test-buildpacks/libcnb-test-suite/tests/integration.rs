//! Integration tests written as a libcnb-test user writes them: they compile against
//! upstream libcnb-test 0.30.4 unchanged (benches/libcnb-test-compat/run.sh checks that) and
//! run on libcnb-lite-test without Docker or `pack`. The container tests need root and
//! `runc`, as libcnb-lite-test's containers do.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use libcnb::data::sbom::SbomFormat;
use libcnb::data::{buildpack_id, layer_name};
use libcnb_test::{
    BuildConfig, BuildpackReference, ContainerConfig, PackResult, SbomType, TestRunner,
    assert_contains, assert_contains_match, assert_empty, assert_not_contains,
};

const APP: &str = "tests/fixtures/app";

/// `GET /` over plain HTTP, retried while the server starts.
fn http_get(address: SocketAddr) -> String {
    let mut last_error = String::new();
    for _ in 0..100 {
        match TcpStream::connect(address).and_then(|mut stream| {
            stream.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
            let mut response = String::new();
            stream.read_to_string(&mut response)?;
            Ok(response)
        }) {
            Ok(response) if !response.is_empty() => return response,
            Ok(_) => last_error = String::from("empty response"),
            Err(error) => last_error = error.to_string(),
        }
        thread::sleep(Duration::from_millis(100));
    }
    panic!("no HTTP response from {address}: {last_error}");
}

#[test]
fn build_and_rebuild_reuse_the_cached_layer() {
    TestRunner::default().build(BuildConfig::new("heroku/builder:24", APP), |context| {
        assert_empty!(context.pack_stderr);
        assert_contains!(context.pack_stdout, "===> DETECTING");
        assert_contains!(context.pack_stdout, "Installing runtime 1.0");
        assert_contains!(context.pack_stdout, "Adding layer 'suite/web:runtime'");
        assert_contains!(
            context.pack_stdout,
            "Adding cache layer 'suite/web:runtime'"
        );
        assert_contains!(context.pack_stdout, "Setting default process type 'web'");
        assert_contains_match!(context.pack_stdout, "^===> EXPORTING$");

        let config = context.config.clone();
        context.rebuild(config, |context| {
            assert_contains!(context.pack_stdout, "Reusing runtime 1.0");
            assert_contains!(context.pack_stdout, "Reusing layer 'suite/web:runtime'");
            assert_contains!(
                context.pack_stdout,
                "Reusing cache layer 'suite/web:runtime'"
            );
            assert_not_contains!(context.pack_stdout, "Installing runtime");
        });
    });
}

#[test]
fn a_changed_env_var_reinstalls_on_rebuild() {
    let config = BuildConfig::new("heroku/builder:22", APP);
    TestRunner::default().build(&config, |context| {
        let mut changed = config.clone();
        changed.env("SUITE_RUNTIME_VERSION", "2.0");
        context.rebuild(changed, |context| {
            assert_contains!(context.pack_stdout, "Installing runtime 2.0");
            assert_contains!(context.pack_stdout, "Adding layer 'suite/web:runtime'");
        });
    });
}

#[test]
fn an_expected_failure_hands_over_the_output() {
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", APP)
            .env("SUITE_FAIL", "1")
            .expected_pack_result(PackResult::Failure),
        |context| {
            assert_contains!(context.pack_stderr, "failing as SUITE_FAIL asks");
            assert_not_contains!(context.pack_stdout, "===> EXPORTING");
        },
    );
}

#[test]
#[should_panic(expected = "Error performing pack build")]
fn an_unexpected_failure_panics() {
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", APP).env("SUITE_FAIL", "1"),
        |_| {},
    );
}

#[test]
#[should_panic(expected = "The pack build was expected to fail, but did not")]
fn an_unexpected_success_panics() {
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", APP).expected_pack_result(PackResult::Failure),
        |_| {},
    );
}

#[test]
#[should_panic(
    expected = "Error packaging buildpack 'suite/missing': Couldn't find a buildpack with ID 'suite/missing' in the workspace at "
)]
fn an_unknown_workspace_buildpack_panics() {
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", APP).buildpacks([
            BuildpackReference::WorkspaceBuildpack(buildpack_id!("suite/missing")),
        ]),
        |_| {},
    );
}

#[test]
fn the_web_process_serves_on_an_exposed_port() {
    TestRunner::default().build(BuildConfig::new("heroku/builder:24", APP), |context| {
        context.start_container(ContainerConfig::new().expose_port(8080), |container| {
            let response = http_get(container.address_for_port(8080));
            assert_contains!(response, "200 OK");
            assert_contains!(response, "hello from the suite");

            let output =
                container.shell_exec("echo \"version $SUITE_RUNTIME_VERSION\"; suite-version");
            assert_contains!(output.stdout, "version 1.0");
            assert_contains!(output.stdout, "runtime 1.0");
        });
    });
}

#[test]
fn two_containers_expose_the_same_port() {
    TestRunner::default().build(BuildConfig::new("heroku/builder:24", APP), |context| {
        context.start_container(ContainerConfig::new().expose_port(8080), |first| {
            context.start_container(ContainerConfig::new().expose_port(8080), |second| {
                let (a, b) = (first.address_for_port(8080), second.address_for_port(8080));
                assert_ne!(a, b);
                assert_contains!(http_get(a), "hello from the suite");
                assert_contains!(http_get(b), "hello from the suite");
            });
        });
    });
}

#[test]
fn a_process_type_as_entrypoint_runs_to_its_end() {
    TestRunner::default().build(BuildConfig::new("heroku/builder:24", APP), |context| {
        context.start_container(
            ContainerConfig::new()
                .entrypoint("worker")
                .env("WORKER_NAME", "Ferris"),
            |container| {
                let logs = container.logs_wait();
                assert_contains!(logs.stdout, "worker Ferris says 1.0");
                assert_contains!(logs.stdout, "runtime 1.0");
            },
        );
    });
}

#[test]
fn run_shell_command_runs_bash_with_the_launch_env() {
    TestRunner::default().build(BuildConfig::new("heroku/builder:24", APP), |context| {
        let output = context.run_shell_command("echo \"$SUITE_RUNTIME_VERSION\"; cat index.html");
        assert_eq!(output.stdout, "1.0\n<h1>hello from the suite</h1>\n");
        assert_empty!(output.stderr);
    });
}

#[test]
fn the_app_dir_preprocessor_changes_a_copy_of_the_app() {
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", APP).app_dir_preprocessor(|dir| {
            std::fs::write(dir.join("extra.txt"), "added by the preprocessor\n")
                .expect("extra.txt written into the app copy");
        }),
        |context| {
            let output = context.run_shell_command("cat extra.txt");
            assert_eq!(output.stdout, "added by the preprocessor\n");
        },
    );
    assert!(!std::path::Path::new(APP).join("extra.txt").exists());
}

#[test]
fn sbom_files_are_downloaded() {
    TestRunner::default().build(BuildConfig::new("heroku/builder:24", APP), |context| {
        context.download_sbom_files(|sbom_files| {
            let path = sbom_files.path_for(
                buildpack_id!("suite/web"),
                SbomType::Layer(layer_name!("runtime")),
                SbomFormat::CycloneDxJson,
            );
            let sbom = std::fs::read_to_string(&path).expect("the runtime layer's SBOM");
            assert_contains!(sbom, r#""version":"1.0""#);
        });
    });
}

#[test]
fn a_workspace_composite_buildpack_and_a_buildpack_by_id() {
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", APP).buildpacks([
            BuildpackReference::Other("examples/basics".into()),
            BuildpackReference::WorkspaceBuildpack(buildpack_id!("suite/composite")),
        ]),
        |context| {
            assert_contains!(context.pack_stdout, "Installing greeter 1.2.0.");
            assert_contains!(context.pack_stdout, "Installing runtime 1.0");
            assert_contains!(
                context.pack_stdout,
                "Adding layer 'examples/basics:greeter'"
            );
        },
    );
}
