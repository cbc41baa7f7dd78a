//! Prints the `Display` text of every error type and variant that upstream libcnb 0.30.4 and
//! libcnb-data 0.30.4 name publicly, one per line, each built the same way: by hand from the
//! same values, or by a real failing call (`read_toml_file` of a missing or corrupt file, ...).
//! `run.sh` compiles this file against both libraries and requires identical output, because
//! real buildpacks snapshot their error output.

#![expect(
    clippy::unwrap_used,
    reason = "each call fails by construction; a panic would show a changed behaviour"
)]

use libcnb::data::buildpack::{BuildpackApi, BuildpackId, BuildpackVersion};
use libcnb::data::exec_d::ExecDProgramOutputKey;
use libcnb::data::launch::ProcessType;
use libcnb::data::layer::LayerName;
use libcnb::data::layer_name;
use libcnb::data::package_descriptor::PackageDescriptorDependency;
use libcnb::layer::{DeleteLayerError, LayerError, ReadLayerError, WriteLayerError};
use libcnb::{TomlFileError, read_toml_file, write_toml_file};
use std::env::VarError;
use std::ffi::OsString;
use std::io;
use std::path::Path;

/// The buildpack error of the texts below.
#[derive(Debug)]
struct Oops;

type Error = libcnb::Error<Oops>;

fn os_error(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

fn toml_de_error() -> toml::de::Error {
    toml::from_str::<toml::Table>("[types\nlaunch = true\n").unwrap_err()
}

fn toml_ser_error() -> toml::ser::Error {
    toml::to_string(&vec![Some(1), None]).unwrap_err()
}

fn toml_file_errors() -> Vec<TomlFileError> {
    let dir = std::env::temp_dir().join(format!("compat-error-texts-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let corrupt = dir.join("corrupt.toml");
    let _ = std::fs::write(&corrupt, "[metadata\n");
    let errors = vec![
        TomlFileError::IoError(os_error(2)),
        TomlFileError::TomlDeserializationError(toml_de_error()),
        TomlFileError::TomlSerializationError(toml_ser_error()),
        // Real calls: a missing file, a corrupt file, a file in a missing directory, a value
        // that isn't a TOML document.
        read_toml_file::<toml::Table>(dir.join("missing.toml")).unwrap_err(),
        read_toml_file::<toml::Table>(&corrupt).unwrap_err(),
        write_toml_file(&toml::Table::new(), dir.join("missing/x.toml")).unwrap_err(),
        write_toml_file(&42, dir.join("x.toml")).unwrap_err(),
    ];
    let _ = std::fs::remove_dir_all(&dir);
    errors
}

fn layer_errors() -> Vec<LayerError> {
    vec![
        ReadLayerError::LayerContentMetadataParseError(toml_de_error()).into(),
        ReadLayerError::IoError(os_error(21)).into(),
        WriteLayerError::IoError(os_error(28)).into(),
        DeleteLayerError::IoError(os_error(13)).into(),
        LayerError::CouldNotReadGenericLayerMetadata(TomlFileError::TomlDeserializationError(
            toml_de_error(),
        )),
        LayerError::CouldNotReadLayerAfterCreate(layer_name!("gems")),
        LayerError::IoError(os_error(5)),
        LayerError::UnexpectedMissingLayer,
    ]
}

fn errors() -> Vec<Error> {
    let mut errors = vec![
        "Web Server".parse::<ProcessType>().unwrap_err().into(),
        Error::CannotDetermineAppDirectory(os_error(2)),
        Error::CannotDetermineBuildpackDirectory(VarError::NotPresent),
        Error::CannotDetermineTargetOs(VarError::NotPresent),
        Error::CannotDetermineTargetArch(VarError::NotUnicode(OsString::from("x"))),
        Error::CannotDetermineTargetDistroName(VarError::NotPresent),
        Error::CannotDetermineTargetDistroVersion(VarError::NotPresent),
        Error::CannotCreatePlatformFromPath(os_error(13)),
        Error::CannotWriteBuildSbom(os_error(28)),
        Error::CannotWriteLaunchSbom(os_error(28)),
        Error::BuildpackError(Oops),
    ];
    errors.extend(layer_errors().into_iter().map(Error::LayerError));
    for (index, error) in toml_file_errors().into_iter().enumerate() {
        errors.push(match index % 6 {
            0 => Error::CannotReadBuildpackPlan(error),
            1 => Error::CannotReadBuildpackDescriptor(error),
            2 => Error::CannotReadStore(error),
            3 => Error::CannotWriteBuildPlan(error),
            4 => Error::CannotWriteLaunch(error),
            _ => Error::CannotWriteStore(error),
        });
    }
    errors
}

fn main() {
    let mut texts: Vec<String> = errors().iter().map(ToString::to_string).collect();
    texts.extend(layer_errors().iter().map(ToString::to_string));
    texts.extend(toml_file_errors().iter().map(ToString::to_string));
    texts.extend([
        "build".parse::<LayerName>().unwrap_err().to_string(),
        "heroku_jvm".parse::<BuildpackId>().unwrap_err().to_string(),
        "a b".parse::<ProcessType>().unwrap_err().to_string(),
        "MY.VAR".parse::<ExecDProgramOutputKey>().unwrap_err().to_string(),
        BuildpackVersion::try_from(String::from("1.x")).unwrap_err().to_string(),
        BuildpackApi::try_from(String::from("x")).unwrap_err().to_string(),
        PackageDescriptorDependency::try_from("a b").unwrap_err().to_string(),
        PackageDescriptorDependency::try_from(Path::new("x y").to_path_buf())
            .unwrap_err()
            .to_string(),
    ]);
    for text in texts {
        // One line per error; a TOML error's own line feeds are kept visible.
        println!("{}", text.replace('\n', "\\n"));
    }
}
