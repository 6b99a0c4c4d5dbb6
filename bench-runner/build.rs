//! Records the source commit in the binary, so every results header says exactly
//! which code produced it.

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .is_some_and(|o| !o.stdout.is_empty());
    let suffix = if dirty { "-dirty" } else { "" };
    println!("cargo:rustc-env=URING_SYNCBENCH_COMMIT={commit}{suffix}");
    // Where git keeps them: in a linked worktree `.git` is a file, and a
    // path under it that does not exist would rebuild the binary every time.
    for file in ["HEAD", "index"] {
        if let Some(path) = git_path(file) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

/// The path of `file` in the repository's git directory, as git resolves it.
fn git_path(file: &str) -> Option<String> {
    Command::new("git")
        .args(["rev-parse", "--path-format=absolute", "--git-path", file])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}
