//! The README's quickstart, run as written: its shell block, line by line in one shell, with
//! the `omni-host` cargo built for this test on the PATH (where `cargo install` would put it).

use std::path::Path;
use std::process::Command;

/// The first `sh` block under the README's "Quickstart" heading.
fn quickstart_block() -> Vec<String> {
    let readme = include_str!("../../README.md");
    let section = &readme[readme.find("## Quickstart").expect("the README has a quickstart")..];
    let block = section.split("```sh\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a sh block");
    block.lines().map(str::to_owned).collect()
}

/// A line without its trailing comment.
fn command(line: &str) -> &str {
    line.split("  #").next().unwrap_or(line).trim()
}

#[test]
fn the_readmes_quickstart_runs_as_written() {
    let lines = quickstart_block();
    let install = command(&lines[0]);
    assert_eq!(install, "cargo install --locked --path host-harness", "the first line installs omni-host");
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).ends_with("host-harness"), "the crate that has the binary");

    // The rest, in one shell: a line sent to the background is waited for until the files it
    // writes exist, as someone typing would.
    let mut script = String::from("set -e\n");
    for line in &lines[1..] {
        let line = command(line);
        if line.is_empty() {
            continue;
        }
        script.push_str(line);
        script.push('\n');
        if let Some(background) = line.strip_suffix('&') {
            let dir = background.split_whitespace().skip_while(|w| *w != "--dir").nth(1).expect("--dir DIR");
            script.push_str(&format!("for _ in $(seq 100); do [ -f {dir}/config.toml ] && break; sleep 0.1; done\n"));
        }
    }
    let work = std::env::temp_dir().join(format!("omni-host-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_omni-host")).parent().unwrap().to_owned();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash").arg("-c").arg(&script).current_dir(&work).env("PATH", path).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&work);
    assert!(out.status.success(), "the quickstart failed:\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");

    // What each command is there to show.
    assert!(stdout.contains(r#""event":"message.received""#), "the demo and the webhook print events:\n{stdout}");
    assert!(stdout.contains("every check passed"), "doctor passes against the fake:\n{stdout}");
    assert!(stdout.contains(r#""messageId":"wamid.FAKE"#), "send prints the receipt:\n{stdout}");
    assert!(stdout.contains("omni-host send --config"), "the demo prints the commands to try:\n{stdout}");
}
