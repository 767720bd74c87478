//! File-system adapter: reads the files gitgrant cares about from a working tree into a
//! `Tree`, without following symbolic links and without reading oversized files.

use std::io;
use std::path::{Path, PathBuf};

use crate::core::files::document::{MAX_POLICY_BYTES, MAX_REQUEST_BYTES};
use crate::core::files::tree::{self, Entry, Tree};

/// What could not be read, and where.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("`{}` is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("{}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
}

/// Reads policies, CODEOWNERS and every entry under `requests/` below `root`.
pub fn read_tree(root: &Path) -> Result<Tree, FsError> {
    if !root.is_dir() {
        return Err(FsError::NotADirectory(root.to_path_buf()));
    }
    let mut tree = Tree::default();
    for rel in tree::TRUSTED_FILES {
        if let Some(entry) = read_entry(&root.join(rel), MAX_POLICY_BYTES)? {
            tree.insert(rel, entry);
        }
    }
    let requests = root.join("requests");
    if requests.symlink_metadata().is_ok() {
        let mut files = Vec::new();
        walk(&requests, "requests", &mut tree, &mut files)?;
        read_files(files, &mut tree)?;
    }
    read_workflows(root, &mut tree)?;
    Ok(tree)
}

/// The workflow files GitHub runs (`.github/workflows/*.yml`, `*.yaml`; not a folder below),
/// for `check`'s look at their action references.
fn read_workflows(root: &Path, tree: &mut Tree) -> Result<(), FsError> {
    let dir = root.join(".github/workflows");
    let Ok(listing) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for item in listing {
        let item = item.map_err(|e| with_path(e, &dir))?;
        let Some(name) = item.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let rel = format!(".github/workflows/{name}");
        if !crate::core::rules::workflows::is_workflow(&rel) {
            continue;
        }
        if let Some(entry) = read_entry(&item.path(), MAX_POLICY_BYTES)? {
            tree.insert(&rel, entry);
        }
    }
    Ok(())
}

fn read_entry(path: &Path, limit: usize) -> Result<Option<Entry>, FsError> {
    let meta = match path.symlink_metadata() {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(with_path(e, path)),
    };
    if meta.file_type().is_symlink() {
        return Ok(Some(Entry::Symlink));
    }
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.len() > limit as u64 {
        return Ok(Some(Entry::Large(meta.len())));
    }
    std::fs::read(path)
        .map(|b| Some(Entry::File(b)))
        .map_err(|e| with_path(e, path))
}

/// How many threads the machine runs at once (at least 1), for work shared among threads.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Reads the regular files `walk` listed (repository-relative path, path on disk) into
/// `tree`, shared among the machine's cores: 20,000 request files are mostly system calls.
/// The first file that cannot be read (in path order) is the error.
fn read_files(files: Vec<(String, PathBuf)>, tree: &mut Tree) -> Result<(), FsError> {
    let read = crate::core::parallel::map_chunks(&files, cores(), |_, (_, path)| read_entry(path, MAX_REQUEST_BYTES));
    for ((rel, _), entry) in files.into_iter().zip(read.into_iter().flatten()) {
        if let Some(entry) = entry? {
            tree.insert(rel, entry);
        }
    }
    Ok(())
}

/// Lists the entries below `dir` (as `rel`): symbolic links go into `tree` as such, regular
/// files into `files` to be read; directories are walked, nothing else is kept.
fn walk(dir: &Path, rel: &str, tree: &mut Tree, files: &mut Vec<(String, PathBuf)>) -> Result<(), FsError> {
    let meta = dir.symlink_metadata().map_err(|e| with_path(e, dir))?;
    if meta.file_type().is_symlink() {
        tree.insert(rel, Entry::Symlink);
        return Ok(());
    }
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| with_path(e, dir))?
        .collect::<Result<_, _>>()
        .map_err(|e| with_path(e, dir))?;
    names.sort_by_key(|e| e.file_name());
    for e in names {
        let name = e.file_name().to_string_lossy().into_owned();
        let child_rel = format!("{rel}/{name}");
        let path = e.path();
        let ft = e.file_type().map_err(|e| with_path(e, &path))?;
        if ft.is_symlink() {
            tree.insert(child_rel, Entry::Symlink);
        } else if ft.is_dir() {
            walk(&path, &child_rel, tree, files)?;
        } else if ft.is_file() {
            files.push((child_rel, path));
        }
    }
    Ok(())
}

fn with_path(source: io::Error, path: &Path) -> FsError {
    FsError::Read {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("access.toml");
        std::fs::write(&file, "x").unwrap();
        let err = read_tree(&file).unwrap_err();
        assert!(matches!(err, FsError::NotADirectory(ref p) if *p == file), "{err:?}");
        assert_eq!(err.to_string(), format!("`{}` is not a directory", file.display()));
        let io = with_path(io::Error::from(io::ErrorKind::PermissionDenied), &file);
        assert_eq!(io.to_string(), format!("{}: permission denied", file.display()));
    }
}
