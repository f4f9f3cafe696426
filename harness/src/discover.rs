//! Finding scenario files: every `*.toml` under the given files and folders, sorted,
//! each named by its path relative to the folder it was found in.

use std::path::{Path, PathBuf};

/// A scenario file and the name reports and test filters use for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The file.
    pub path: PathBuf,
    /// The path relative to the folder searched (`trust/missing_external_id.toml`), or
    /// the path as given for a file.
    pub name: String,
}

/// The name of a scenario file: its path relative to the nearest enclosing folder
/// called `scenarios` (so `harness run scenarios/trust` and `cargo test -- trust/`
/// agree on names), else relative to `base`.
fn name_of(path: &Path, base: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut dir = abs.parent();
    while let Some(d) = dir {
        if d.file_name().is_some_and(|n| n == "scenarios") {
            if let Ok(rel) = abs.strip_prefix(d) {
                return rel.to_string_lossy().replace('\\', "/");
            }
        }
        dir = d.parent();
    }
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Every scenario file under `paths` (files are taken as they are).
pub fn find(paths: &[PathBuf]) -> std::io::Result<Vec<Found>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files = Vec::new();
            walk(p, &mut files)?;
            files.sort();
            for f in files {
                let name = name_of(&f, p);
                out.push(Found { path: f, name });
            }
        } else if p.exists() {
            let base = p.parent().unwrap_or(Path::new(""));
            out.push(Found {
                path: p.clone(),
                name: name_of(p, base),
            });
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no such file or folder", p.display()),
            ));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml")
            && !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('_'))
        {
            out.push(path);
        }
    }
    Ok(())
}
