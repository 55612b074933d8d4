//! `yiyi` as a user runs it: a real process, real files, stdin and exit codes.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};

const RFC_LEAVES: &str =
    "\n00\n10\n2021\n3031\n40414243\n5051525354555657\n606162636465666768696a6b6c6d6e6f\n";
const RFC_ROOT_8: &str = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";

fn yiyi(args: &[&str], stdin: &str) -> Output {
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
        &[
            "key",
            "generate",
            "--name",
            "yiyi/lixia/quancheng",
            "--out",
            out.to_str().unwrap(),
        ],
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
        &[
            "key",
            "generate",
            "--name",
            "x",
            "--out",
            out.to_str().unwrap(),
        ],
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
        &[
            "key",
            "generate",
            "--name",
            "shunyu",
            "--out",
            key.to_str().unwrap(),
        ],
        "",
    ))
    .trim()
    .to_owned();
    let text = "关于加装电梯的协商结果\n同意 42 户，反对 3 户。\n";
    let signed = yiyi(&["note", "sign", "--key-file", key.to_str().unwrap()], text);
    assert!(signed.status.success());
    let note = stdout(&signed);

    let ok = yiyi(&["note", "verify", "--key", &vkey], &note);
    assert!(ok.status.success());
    assert_eq!(stdout(&ok), text);

    // From a file too.
    let file = dir.path().join("note");
    std::fs::write(&file, &note).unwrap();
    assert!(
        yiyi(
            &["note", "verify", "--key", &vkey, file.to_str().unwrap()],
            ""
        )
        .status
        .success()
    );

    let other = dir.path().join("other");
    let other_vkey = stdout(&yiyi(
        &[
            "key",
            "generate",
            "--name",
            "other",
            "--out",
            other.to_str().unwrap(),
        ],
        "",
    ))
    .trim()
    .to_owned();
    let refusals = [
        (
            vec!["note", "verify", "--key", &other_vkey],
            note.clone(),
            "no signature by a known key",
        ),
        (
            vec!["note", "verify", "--key", &vkey],
            note.replace("42", "24"),
            "does not verify",
        ),
        (
            vec!["note", "verify", "--key", &vkey],
            text.to_owned(),
            "malformed",
        ),
        (
            vec!["note", "verify", "--key", "not-a-key"],
            note.clone(),
            "malformed key",
        ),
    ];
    for (args, input, why) in refusals {
        let o = yiyi(&args, &input);
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(err.contains(why), "{args:?}: {err}");
        assert!(o.stdout.is_empty());
    }

    // A second signer adds a line; either key verifies it.
    let both = stdout(&yiyi(
        &["note", "sign", "--key-file", other.to_str().unwrap()],
        &note,
    ));
    for k in [&vkey, &other_vkey] {
        assert_eq!(stdout(&yiyi(&["note", "verify", "--key", k], &both)), text);
    }
}

#[test]
fn tlog_tools_reproduce_the_rfc_6962_vectors() {
    assert_eq!(lines(&yiyi(&["tlog", "root"], RFC_LEAVES)), [RFC_ROOT_8]);
    // The leaves file the README uses holds the same leaves.
    let readme_leaves = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../protocol/tests/vectors/rfc6962-leaves.txt"
    );
    assert_eq!(std::fs::read_to_string(readme_leaves).unwrap(), RFC_LEAVES);
    // The empty tree, and one empty leaf.
    assert_eq!(
        lines(&yiyi(&["tlog", "root"], "")),
        ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]
    );
    assert_eq!(
        lines(&yiyi(&["tlog", "root"], "\n")),
        ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]
    );
    assert_eq!(
        lines(&yiyi(
            &["tlog", "inclusion-proof", "--index", "0"],
            RFC_LEAVES
        )),
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]
    );
    assert_eq!(
        lines(&yiyi(
            &["tlog", "consistency-proof", "--old-size", "6"],
            RFC_LEAVES
        )),
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]
    );
    assert!(
        !yiyi(&["tlog", "inclusion-proof", "--index", "8"], RFC_LEAVES)
            .status
            .success()
    );
    assert!(!yiyi(&["tlog", "root"], "zz\n").status.success());
}

#[test]
fn tlog_verification_exits_zero_only_for_valid_proofs() {
    let proof = lines(&yiyi(
        &["tlog", "inclusion-proof", "--index", "0"],
        RFC_LEAVES,
    ));
    let leaf0 = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
    let mut args = vec![
        "tlog",
        "verify-inclusion",
        "--leaf-hash",
        leaf0,
        "--index",
        "0",
        "--size",
        "8",
        "--root",
        RFC_ROOT_8,
    ];
    for p in &proof {
        args.extend(["--proof", p.as_str()]);
    }
    assert!(yiyi(&args, "").status.success());
    // Wrong index, a dropped proof hash, a wrong root.
    let mut wrong_index = args.clone();
    wrong_index[5] = "1";
    assert!(!yiyi(&wrong_index, "").status.success());
    assert!(!yiyi(&args[..args.len() - 2], "").status.success());
    let mut wrong_root = args.clone();
    wrong_root[9] = leaf0;
    assert!(!yiyi(&wrong_root, "").status.success());
    // A hash that is not 32 bytes is an error, not a failed proof.
    let short = yiyi(
        &[
            "tlog",
            "verify-inclusion",
            "--leaf-hash",
            "abcd",
            "--index",
            "0",
            "--size",
            "1",
            "--root",
            leaf0,
        ],
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
            &[
                "tlog",
                "verify-inclusion",
                "--leaf-hash",
                leaf0,
                "--index",
                "0",
                "--size",
                "1",
                "--root",
                leaf0
            ],
            ""
        )
        .status
        .success()
    );
    assert!(
        yiyi(
            &[
                "tlog",
                "verify-consistency",
                "--old-size",
                "8",
                "--old-root",
                RFC_ROOT_8,
                "--size",
                "8",
                "--root",
                RFC_ROOT_8
            ],
            ""
        )
        .status
        .success()
    );

    let first6: String = RFC_LEAVES.split_inclusive('\n').take(6).collect();
    let root6 = lines(&yiyi(&["tlog", "root"], &first6));
    let proof = lines(&yiyi(
        &["tlog", "consistency-proof", "--old-size", "6"],
        RFC_LEAVES,
    ));
    let mut args = vec![
        "tlog",
        "verify-consistency",
        "--old-size",
        "6",
        "--old-root",
        root6[0].as_str(),
        "--size",
        "8",
        "--root",
        RFC_ROOT_8,
    ];
    for p in &proof {
        args.extend(["--proof", p.as_str()]);
    }
    assert!(yiyi(&args, "").status.success(), "{root6:?}");
    args[3] = "5";
    let o = yiyi(&args, "");
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
        &[
            "--lang",
            "zh",
            "tlog",
            "verify-consistency",
            "--old-size",
            "1",
            "--old-root",
            RFC_ROOT_8,
            "--size",
            "1",
            "--root",
            RFC_ROOT_8,
        ],
        "",
    );
    assert_eq!(stdout(&o).trim(), "一致性证明有效");
}

#[test]
fn names_are_checked_before_anything_is_sent_and_the_error_lists_the_allowed_ones() {
    // No node is given (nor reachable): the refusal is the CLI's own.
    for (args, allowed) in [
        (
            vec![
                "topic",
                "propose",
                "--id",
                "T-1",
                "--title",
                "路灯",
                "--category",
                "public-affairs",
                "--scale",
                "huge",
                "--source",
                "resident",
            ],
            "major, minor, urgent",
        ),
        (
            vec![
                "participant",
                "add",
                "--id",
                "P-1",
                "--kind",
                "club",
                "--name",
                "居民",
            ],
            "party-organisation",
        ),
        (vec!["meeting", "step", "M-1", "dance"], "sign-in"),
        (
            vec!["outcome", "T-1", "--meeting", "M-1", "--class", "done"],
            "immediate, shelved, promised, suggestion",
        ),
        (
            vec!["escalation", "send", "T-1", "--priority", "asap"],
            "urgent, important, normal",
        ),
    ] {
        let o = yiyi(
            &[&["--node", "http://127.0.0.1:9"], args.as_slice()].concat(),
            "",
        );
        let err = String::from_utf8(o.stderr.clone()).unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("invalid value"), "{args:?}: {err}");
        assert!(
            err.contains(allowed),
            "{args:?} should list {allowed}: {err}"
        );
    }
}
