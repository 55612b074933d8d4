//! `yiyi` as a user runs it: a real process, real files, stdin and exit codes.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};

const RFC_LEAVES: &str =
    "\n00\n10\n2021\n3031\n40414243\n5051525354555657\n606162636465666768696a6b6c6d6e6f\n";
const RFC_ROOT_8: &str = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";

/// Runs `yiyi` with the command line `line`, split as a shell would (a word
/// in single quotes kept whole), with `stdin` as its input.
fn yiyi(line: &str, stdin: &str) -> Output {
    let args = shell_words::split(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_yiyi"))
        .args(args)
        .env("LANG", "en_US.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    // A command that fails before reading its input closes the pipe early.
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn lines(o: &Output) -> Vec<String> {
    stdout(o).lines().map(str::to_owned).collect()
}

#[test]
fn key_generate_writes_a_private_file_and_prints_the_verifier_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("street.key");
    let o = yiyi(
        &format!(
            "key generate --name yiyi/lixia/quancheng --out {}",
            out.display()
        ),
        "",
    );
    assert!(o.status.success(), "{o:?}");
    let vkey = stdout(&o).trim().to_owned();
    assert!(vkey.starts_with("yiyi/lixia/quancheng+"));
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let secret = std::fs::read_to_string(&out).unwrap();
    assert!(secret.starts_with("PRIVATE+KEY+yiyi/lixia/quancheng+"));
    // Never overwrites an existing key.
    let again = yiyi(
        &format!("key generate --name x --out {}", out.display()),
        "",
    );
    assert!(!again.status.success());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), secret);
}

#[test]
fn notes_sign_and_verify_and_refuse_what_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    let vkey = stdout(&yiyi(
        &format!("key generate --name shunyu --out {}", key.display()),
        "",
    ))
    .trim()
    .to_owned();
    let text = "关于加装电梯的协商结果\n同意 42 户，反对 3 户。\n";
    let signed = yiyi(&format!("note sign --key-file {}", key.display()), text);
    assert!(signed.status.success());
    let note = stdout(&signed);

    let ok = yiyi(&format!("note verify --key {vkey}"), &note);
    assert!(ok.status.success());
    assert_eq!(stdout(&ok), text);

    // From a file too.
    let file = dir.path().join("note");
    std::fs::write(&file, &note).unwrap();
    assert!(
        yiyi(&format!("note verify --key {vkey} {}", file.display()), "")
            .status
            .success()
    );

    let other = dir.path().join("other");
    let other_vkey = stdout(&yiyi(
        &format!("key generate --name other --out {}", other.display()),
        "",
    ))
    .trim()
    .to_owned();
    let refusals = [
        (
            format!("note verify --key {other_vkey}"),
            note.clone(),
            "no signature by a known key",
        ),
        (
            format!("note verify --key {vkey}"),
            note.replace("42", "24"),
            "does not verify",
        ),
        (
            format!("note verify --key {vkey}"),
            text.to_owned(),
            "malformed",
        ),
        (
            "note verify --key not-a-key".to_owned(),
            note.clone(),
            "malformed key",
        ),
    ];
    for (line, input, why) in refusals {
        let o = yiyi(&line, &input);
        assert!(!o.status.success(), "{line}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(err.contains(why), "{line}: {err}");
        assert!(o.stdout.is_empty());
    }

    // A second signer adds a line; either key verifies it.
    let both = stdout(&yiyi(
        &format!("note sign --key-file {}", other.display()),
        &note,
    ));
    for k in [&vkey, &other_vkey] {
        assert_eq!(
            stdout(&yiyi(&format!("note verify --key {k}"), &both)),
            text
        );
    }
}

#[test]
fn tlog_tools_reproduce_the_rfc_6962_vectors() {
    assert_eq!(lines(&yiyi("tlog root", RFC_LEAVES)), [RFC_ROOT_8]);
    // The leaves file the README uses holds the same leaves.
    let readme_leaves = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../protocol/tests/vectors/rfc6962-leaves.txt"
    );
    assert_eq!(std::fs::read_to_string(readme_leaves).unwrap(), RFC_LEAVES);
    // The empty tree, and one empty leaf.
    assert_eq!(
        lines(&yiyi("tlog root", "")),
        ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]
    );
    assert_eq!(
        lines(&yiyi("tlog root", "\n")),
        ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]
    );
    assert_eq!(
        lines(&yiyi("tlog inclusion-proof --index 0", RFC_LEAVES)),
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]
    );
    assert_eq!(
        lines(&yiyi("tlog consistency-proof --old-size 6", RFC_LEAVES)),
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]
    );
    assert!(
        !yiyi("tlog inclusion-proof --index 8", RFC_LEAVES)
            .status
            .success()
    );
    assert!(!yiyi("tlog root", "zz\n").status.success());
}

#[test]
fn tlog_verification_exits_zero_only_for_valid_proofs() {
    let proof = lines(&yiyi("tlog inclusion-proof --index 0", RFC_LEAVES));
    let leaf0 = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
    let mut line =
        format!("tlog verify-inclusion --leaf-hash {leaf0} --index 0 --size 8 --root {RFC_ROOT_8}");
    for p in &proof {
        line.push_str(&format!(" --proof {p}"));
    }
    assert!(yiyi(&line, "").status.success());
    // Wrong index, a dropped proof hash, a wrong root.
    let wrong_index = line.replace("--index 0", "--index 1");
    assert!(!yiyi(&wrong_index, "").status.success());
    let dropped = &line[..line.rfind(" --proof ").unwrap()];
    assert!(!yiyi(dropped, "").status.success());
    let wrong_root = line.replace(&format!("--root {RFC_ROOT_8}"), &format!("--root {leaf0}"));
    assert!(!yiyi(&wrong_root, "").status.success());
    // A hash that is not 32 bytes is an error, not a failed proof.
    let short = yiyi(
        &format!("tlog verify-inclusion --leaf-hash abcd --index 0 --size 1 --root {leaf0}"),
        "",
    );
    assert!(!short.status.success());
    assert!(
        String::from_utf8(short.stderr)
            .unwrap()
            .contains("32 bytes")
    );
    // Empty proofs where RFC 9162 allows them: a one-leaf tree, equal sizes.
    assert!(
        yiyi(
            &format!("tlog verify-inclusion --leaf-hash {leaf0} --index 0 --size 1 --root {leaf0}"),
            ""
        )
        .status
        .success()
    );
    assert!(
        yiyi(
            &format!(
                "tlog verify-consistency --old-size 8 --old-root {RFC_ROOT_8} --size 8 --root {RFC_ROOT_8}"
            ),
            ""
        )
        .status
        .success()
    );

    let first6: String = RFC_LEAVES.split_inclusive('\n').take(6).collect();
    let root6 = lines(&yiyi("tlog root", &first6));
    let proof = lines(&yiyi("tlog consistency-proof --old-size 6", RFC_LEAVES));
    let mut line = format!(
        "tlog verify-consistency --old-size 6 --old-root {} --size 8 --root {RFC_ROOT_8}",
        root6[0]
    );
    for p in &proof {
        line.push_str(&format!(" --proof {p}"));
    }
    assert!(yiyi(&line, "").status.success(), "{root6:?}");
    let line = line.replace("--old-size 6", "--old-size 5");
    let o = yiyi(&line, "");
    assert!(!o.status.success());
    assert!(
        String::from_utf8(o.stderr)
            .unwrap()
            .contains("consistency proof is invalid")
    );
}

#[test]
fn messages_follow_lang() {
    let o = yiyi(
        &format!(
            "--lang zh tlog verify-consistency --old-size 1 --old-root {RFC_ROOT_8} --size 1 --root {RFC_ROOT_8}"
        ),
        "",
    );
    assert_eq!(stdout(&o).trim(), "一致性证明有效");
}

#[test]
fn names_are_checked_before_anything_is_sent_and_the_error_lists_the_allowed_ones() {
    // No node is given (nor reachable): the refusal is the CLI's own.
    for (line, allowed) in [
        (
            "topic propose --id T-1 --title 路灯 --category public-affairs --scale huge --source resident",
            "major, minor, urgent",
        ),
        (
            "participant add --id P-1 --kind club --name 居民",
            "party-organisation",
        ),
        ("meeting step M-1 dance", "sign-in"),
        (
            "outcome T-1 --meeting M-1 --class done",
            "immediate, shelved, promised, suggestion",
        ),
        (
            "escalation send T-1 --priority asap",
            "urgent, important, normal",
        ),
    ] {
        let o = yiyi(&format!("--node http://127.0.0.1:9 {line}"), "");
        let err = String::from_utf8(o.stderr.clone()).unwrap();
        assert_eq!(o.status.code(), Some(2), "{line}: {err}");
        assert!(err.contains("invalid value"), "{line}: {err}");
        assert!(err.contains(allowed), "{line} should list {allowed}: {err}");
    }
}
