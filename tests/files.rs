//! Hostile files (issue 15 item 1): a FIFO, a link to /dev/zero, dangling and
//! looping links, an unreadable folder and an oversized file are each an error
//! naming the file, never a hang, an exhausted memory or a kind that silently
//! disappears.

use std::os::unix::fs::symlink;
use std::path::Path;
use zt_eval::config::{LoadOptions, Severity, load_path, load_path_with};

const GROUPS: &str = r#"[{"id": "g", "name": "G", "include": [{"everyone": {}}]}]"#;

fn errors_naming(dir: &Path, file: &str) -> Vec<String> {
    let (_, problems) = load_path(dir);
    problems
        .iter()
        .filter(|p| p.severity == Severity::Error && p.file.ends_with(file))
        .map(|p| p.message.clone())
        .collect()
}

#[test]
fn a_fifo_named_like_a_kind_is_an_error_not_a_hang() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    let fifo = dir.path().join("access_groups.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status()?;
    assert!(made.success());
    let errs = errors_naming(dir.path(), "access_groups.json");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs.iter().all(|e| e.contains("not a regular file")),
        "{errs:?}"
    );
    Ok(())
}

#[test]
fn a_link_to_dev_zero_is_refused() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    symlink("/dev/zero", dir.path().join("lists.json"))?;
    std::fs::write(dir.path().join("access_groups.json"), GROUPS)?;
    let errs = errors_naming(dir.path(), "lists.json");
    assert_eq!(errs.len(), 1, "{errs:?}");
    Ok(())
}

#[test]
fn dangling_and_looping_links_are_errors() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    symlink(
        dir.path().join("nowhere.json"),
        dir.path().join("access_groups.json"),
    )?;
    symlink(
        dir.path().join("posture_rules.json"),
        dir.path().join("posture_rules.json"),
    )?;
    assert_eq!(errors_naming(dir.path(), "access_groups.json").len(), 1);
    assert_eq!(errors_naming(dir.path(), "posture_rules.json").len(), 1);
    Ok(())
}

#[test]
fn an_oversized_file_is_an_error_with_the_limit() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("access_groups.json"), GROUPS)?;
    let (_, problems) = load_path_with(dir.path(), &LoadOptions { max_file_bytes: 10 });
    assert!(
        problems
            .iter()
            .any(|p| p.severity == Severity::Error
                && p.message.contains("more than the limit of 10")),
        "{problems:?}"
    );
    Ok(())
}

#[test]
fn an_unreadable_kind_folder_is_an_error() -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir()?;
    let pages = dir.path().join("access_groups");
    std::fs::create_dir(&pages)?;
    std::fs::write(pages.join("1.json"), GROUPS)?;
    std::fs::set_permissions(&pages, std::fs::Permissions::from_mode(0o000))?;
    // root reads anything: then the folder is simply read.
    let readable = std::fs::read_dir(&pages).is_ok();
    let errs = errors_naming(dir.path(), "access_groups");
    std::fs::set_permissions(&pages, std::fs::Permissions::from_mode(0o755))?;
    if !readable {
        assert_eq!(errs.len(), 1, "{errs:?}");
    }
    Ok(())
}

#[test]
fn an_empty_folder_is_an_error_listing_the_kinds() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    let (_, problems) = load_path(dir.path());
    assert!(
        problems
            .iter()
            .any(|p| p.severity == Severity::Error && p.message.contains("access_groups")),
        "{problems:?}"
    );
    Ok(())
}
