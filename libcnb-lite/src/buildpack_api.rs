//! The Buildpack API versions this crate implements.

use libcnb_lite_data::buildpack::BuildpackApi;

/// Buildpack API 0.10 is what libcnb implements; 0.11 is identical for buildpacks, and 0.12
/// only adds `CNB_EXEC_ENV` (see [`exec_env`]).
pub(crate) const SUPPORTED_BUILDPACK_APIS: [BuildpackApi; 3] = [
    BuildpackApi {
        major: 0,
        minor: 10,
    },
    BuildpackApi {
        major: 0,
        minor: 11,
    },
    BuildpackApi {
        major: 0,
        minor: 12,
    },
];

/// The first Buildpack API whose lifecycle passes `CNB_EXEC_ENV`.
const EXEC_ENV_API: BuildpackApi = BuildpackApi {
    major: 0,
    minor: 12,
};

pub(crate) fn is_supported(api: &BuildpackApi) -> bool {
    SUPPORTED_BUILDPACK_APIS.contains(api)
}

/// `"0.10, 0.11 and 0.12"`, for messages.
pub(crate) fn supported_apis_text() -> String {
    let [first, second, third] = SUPPORTED_BUILDPACK_APIS;
    format!("{first}, {second} and {third}")
}

/// The execution environment (`CNB_EXEC_ENV`, e.g. `production` or `test`) for a buildpack
/// implementing `api`: `None` before Buildpack API 0.12 or when the variable is unset, empty or
/// not UTF-8.
pub(crate) fn exec_env(api: &BuildpackApi) -> Option<String> {
    if *api < EXEC_ENV_API {
        return None;
    }
    std::env::var("CNB_EXEC_ENV")
        .ok()
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_versions() {
        for minor in [10, 11, 12] {
            assert!(is_supported(&BuildpackApi { major: 0, minor }));
        }
        for (major, minor) in [(0, 9), (0, 13), (1, 10)] {
            assert!(!is_supported(&BuildpackApi { major, minor }));
        }
        assert_eq!(supported_apis_text(), "0.10, 0.11 and 0.12");
    }

    #[test]
    fn exec_env_is_none_before_api_0_12() {
        // Whatever the environment holds, older APIs never see an execution environment.
        assert_eq!(
            exec_env(&BuildpackApi {
                major: 0,
                minor: 10
            }),
            None
        );
        assert_eq!(
            exec_env(&BuildpackApi {
                major: 0,
                minor: 11
            }),
            None
        );
    }
}
