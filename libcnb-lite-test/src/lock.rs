//! One writer at a time: an exclusive `flock` on a directory (the state dir, an image output
//! dir), held until the lock is dropped. Locking the directory itself leaves no lock file
//! behind and puts nothing into a dir that turns out not to be ours. The kernel drops the
//! lock when the holder dies, so a killed run never leaves a stale lock.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, flock};

/// What to do when another process holds the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenLocked {
    /// Wait for it, saying so once (the default).
    #[default]
    Wait,
    /// Fail at once.
    Fail,
}

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct DirLock {
    _dir: File,
}

/// Taking a lock failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    /// Another process holds it and the caller chose [`WhenLocked::Fail`].
    #[error("{path} is in use by another build or export")]
    Busy {
        /// The locked dir.
        path: PathBuf,
    },
    /// The dir could not be created, opened or locked.
    #[error("cannot lock {path}")]
    Io {
        /// The dir.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// Creates `dir` if needed and locks it exclusively. When another process holds the lock,
/// waits (calling `waiting` once first) or fails, as `when` says. If the dir was replaced or
/// removed while waiting (a failed image export removes the dir it created), locks the new
/// one instead.
pub(crate) fn lock_dir(
    dir: &Path,
    when: WhenLocked,
    waiting: &dyn Fn(),
) -> Result<DirLock, LockError> {
    let io_error = |source| LockError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut told = false;
    loop {
        fs::create_dir_all(dir).map_err(io_error)?;
        let file = File::open(dir).map_err(io_error)?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => {
                if when == WhenLocked::Fail {
                    return Err(LockError::Busy {
                        path: dir.to_path_buf(),
                    });
                }
                if !told {
                    waiting();
                    told = true;
                }
                flock(&file, FlockOperation::LockExclusive)
                    .map_err(|errno| io_error(errno.into()))?;
            }
            Err(errno) => return Err(io_error(errno.into())),
        }
        let held = file.metadata().map_err(io_error)?;
        match fs::symlink_metadata(dir) {
            Ok(now) if now.dev() == held.dev() && now.ino() == held.ino() => {
                return Ok(DirLock { _dir: file });
            }
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_fails_or_waits_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_dir(dir.path(), WhenLocked::Fail, &|| {}).unwrap();
        let error = lock_dir(dir.path(), WhenLocked::Fail, &|| {}).unwrap_err();
        assert!(matches!(error, LockError::Busy { .. }), "{error}");

        let announced = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                lock_dir(dir.path(), WhenLocked::Wait, &|| {
                    announced.store(true, std::sync::atomic::Ordering::SeqCst);
                })
            });
            // The waiter announces that it waits before it blocks; release only then.
            while !announced.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::yield_now();
            }
            drop(first);
            waiter.join().unwrap().unwrap();
        });
    }

    #[test]
    fn a_replaced_dir_is_locked_afresh() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("image");
        let first = lock_dir(&dir, WhenLocked::Fail, &|| {}).unwrap();
        fs::remove_dir(&dir).unwrap();
        // The old inode is still locked, but the path now names a new dir.
        let second = lock_dir(&dir, WhenLocked::Fail, &|| {}).unwrap();
        assert!(dir.is_dir());
        drop((first, second));
    }
}
