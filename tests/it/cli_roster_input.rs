//! What an operator's files and options mean: headers that name the address column or are
//! refused naming the columns, other delimiters, multi-line cells, metadata and roles from
//! columns and flags, a journal left by a wrong key, a role the service did not apply; and
//! completions that know every command.

use crate::cli::{BIN, json_lines, run, temp_dir, tool, write};
use clerk_invitations::emulator::Emulator;
use serde_json::{Value, json};
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_without_an_address_column_is_refused_naming_its_columns() {
    let emu = Emulator::start().await.unwrap();
    let dir = temp_dir("headers");
    for (name, text, named) in [
        ("name-mail", "name,contact\nAda,ada@h.test\n", "`contact`"),
        (
            "email-addr",
            "Name,E_mail_addr\nAda,ada@h.test\n",
            "`E_mail_addr`",
        ),
        ("no-header", "ada@h.test,Ada\n", "not a header"),
    ] {
        let csv = dir.join(format!("{name}.csv"));
        write(&csv, text);
        let mut c = tool(&emu);
        c.args(["invite", "--csv"]).arg(&csv);
        let out = run(c).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(named), "{name}: {stderr}");
    }
    assert!(emu.invitations().is_empty(), "nothing sent for any of them");

    // A spreadsheet's headers, another delimiter, --column for a name of its own.
    let cases = [
        (
            "export",
            "Email Address;Name\nada@h.test;Ada\n",
            vec!["--map", "Name=ignore"],
        ),
        ("e-mail", "E-mail\ngrace@h.test\n", vec![]),
        (
            "own",
            "Who\tnote\nalan@h.test\tx\n",
            vec!["--column", "Who", "--map", "note=ignore"],
        ),
    ];
    for (name, text, args) in cases {
        let csv = dir.join(format!("{name}.csv"));
        write(&csv, text);
        let mut c = tool(&emu);
        c.arg("invite").args(&args).arg("--csv").arg(&csv);
        let out = run(c).await;
        assert_eq!(out.status.code(), Some(0), "{name}: {out:?}");
    }
    let mut stored: Vec<String> = emu
        .invitations()
        .into_iter()
        .map(|i| i.email_address)
        .collect();
    stored.sort();
    assert_eq!(stored, ["ada@h.test", "alan@h.test", "grace@h.test"]);

    // A header of one column, rows of two joined by `;`: `a@x;b` is invalid, not invited.
    let csv = dir.join("forced.csv");
    write(&csv, "email\nsemi@h.test;Semi\n");
    let mut c = tool(&emu);
    c.args(["--json", "invite", "--csv"]).arg(&csv);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert!(
        lines[0]["reason"].as_str().unwrap().contains("holds a `;`"),
        "{lines:?}"
    );
    assert!(
        !emu.invitations()
            .iter()
            .any(|i| i.email_address.contains("semi"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_line_cells_are_read_and_rows_after_them_keep_their_lines() {
    let emu = Emulator::start().await.unwrap();
    let dir = temp_dir("multiline");
    let csv = dir.join("notes.csv");
    write(
        &csv,
        "email,notes\nada@m.test,\"met at\nthe conference\"\nbad address,x\ngrace@m.test,\"a, b\"\n",
    );
    let mut c = tool(&emu);
    c.args(["--json", "invite", "--map", "notes=ignore", "--csv"])
        .arg(&csv);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1), "the bad row");
    let lines = json_lines(&out);
    let invalid: Vec<&str> = lines
        .iter()
        .filter(|l| l["outcome"] == "invalid")
        .filter_map(|l| l["reason"].as_str())
        .collect();
    assert_eq!(invalid.len(), 1, "{lines:?}");
    let mut stored: Vec<String> = emu
        .invitations()
        .into_iter()
        .map(|i| i.email_address)
        .collect();
    stored.sort();
    assert_eq!(
        stored,
        ["ada@m.test", "grace@m.test"],
        "the rows after the notes are read"
    );
    // The bad row is on line 4 of the file (the notes cell spans lines 2 and 3).
    let mut c = tool(&emu);
    c.args(["--json", "plan", "--map", "notes=ignore"])
        .arg(&csv);
    let plan = json_lines(&run(c).await);
    let bad = plan.iter().find(|l| l["state"] == "invalid").unwrap();
    assert_eq!(bad["line"], 4, "{bad}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_and_roles_come_from_columns_and_flags() {
    let emu = Emulator::start().await.unwrap();
    emu.seed_organization("org_meta", "Meta", "meta", None);
    // Single creates.
    let mut c = tool(&emu);
    c.args([
        "create",
        "one@meta.test",
        "--public-metadata",
        r#"{"plan":"team"}"#,
    ]);
    assert_eq!(run(c).await.status.code(), Some(0));
    let mut c = tool(&emu);
    c.args([
        "org",
        "create",
        "org_meta",
        "two@meta.test",
        "--role",
        "org:member",
    ])
    .args(["--public-metadata", r#"{"plan":"team"}"#])
    .args(["--private-metadata", r#"{"cost_center":"42"}"#]);
    assert_eq!(run(c).await.status.code(), Some(0));
    let mut c = tool(&emu);
    c.args(["create", "x@meta.test", "--public-metadata", "[1]"]);
    assert_eq!(run(c).await.status.code(), Some(2), "not an object");
    let app = emu.invitations();
    assert_eq!(json!(app[0].public_metadata), json!({"plan": "team"}));
    let org = emu.organization_invitations();
    assert_eq!(json!(org[0].public_metadata), json!({"plan": "team"}));
    assert_eq!(json!(org[0].private_metadata), json!({"cost_center": "42"}));

    // A bulk run: a team column over the run's metadata, a role column over --role.
    let dir = temp_dir("meta");
    let csv = dir.join("r.csv");
    write(
        &csv,
        "email,Team,role,private_metadata.cost_center\na@meta.test,blue,org:admin,7\nb@meta.test,red,,\n",
    );
    let mut c = tool(&emu);
    c.args(["invite", "--org", "org_meta", "--role", "org:member"])
        .args(["--map", "Team=public_metadata.team"])
        .args(["--public-metadata", r#"{"plan":"team","team":"none"}"#])
        .arg("--csv")
        .arg(&csv);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let org = emu.organization_invitations();
    let get = |e: &str| org.iter().find(|i| i.email_address == e).unwrap().clone();
    let a = get("a@meta.test");
    assert_eq!(a.role, "org:admin");
    assert_eq!(
        json!(a.public_metadata),
        json!({"plan": "team", "team": "blue"})
    );
    assert_eq!(json!(a.private_metadata), json!({"cost_center": "7"}));
    let b = get("b@meta.test");
    assert_eq!(b.role, "org:member", "an empty cell falls back on --role");
    assert_eq!(
        json!(b.public_metadata),
        json!({"plan": "team", "team": "red"})
    );

    // An application run refuses private metadata per row, naming the line.
    let csv = dir.join("app.csv");
    write(&csv, "email,private_metadata.x\nc@meta.test,1\n");
    let mut c = tool(&emu);
    c.args(["--json", "invite", "--csv"]).arg(&csv);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert!(
        lines[0]["reason"]
            .as_str()
            .unwrap()
            .contains("organization invitations only")
    );
    assert!(
        !emu.invitations()
            .iter()
            .any(|i| i.email_address == "c@meta.test")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_left_by_a_refused_key_is_reused_by_the_right_one() {
    let emu = Emulator::start().await.unwrap();
    let dir = temp_dir("wrong-key");
    let csv = dir.join("r.csv");
    write(&csv, "email\na@key.test\nb@key.test\n");
    let journal = dir.join("j.journal");
    let mut c = tool(&emu);
    c.env("CLERK_SECRET_KEY", "sk_test_NotAKeyTheEmulatorKnows")
        .args(["invite", "--csv"])
        .arg(&csv)
        .arg("--journal")
        .arg(&journal);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401"),
        "{out:?}"
    );
    let mut c = tool(&emu);
    c.args(["invite", "--csv"])
        .arg(&csv)
        .arg("--journal")
        .arg(&journal);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(emu.invitations().len(), 2);
    // Now the journal records what the right key did: it is that run's alone.
    let mut c = tool(&emu);
    c.env("CLERK_SECRET_KEY", "sk_test_NotAKeyTheEmulatorKnows")
        .args(["invite", "--csv"])
        .arg(&csv)
        .arg("--journal")
        .arg(&journal);
    assert_eq!(run(c).await.status.code(), Some(5));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_the_service_did_not_apply_is_said_in_text_and_json() {
    let emu = Emulator::start().await.unwrap();
    emu.seed_organization("org_role", "Role", "role", None);
    let create = |role: &str, json: bool| {
        let mut c = tool(&emu);
        if json {
            c.arg("--json");
        }
        c.args(["org", "create", "org_role", "ada@role.test", "--role", role]);
        c
    };
    assert_eq!(
        run(create("org:member", false)).await.status.code(),
        Some(0)
    );
    // Later than the second a `Date` can tell apart.
    emu.advance_clock(std::time::Duration::from_secs(5));
    let out = run(create("org:admin", false)).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("its role stays org:member"), "{stderr}");
    let out = run(create("org:admin", true)).await;
    let line = &json_lines(&out)[0];
    assert_eq!(line["existed"], true);
    assert_eq!(line["role_applied"], false);
    assert_eq!(line["role"], "org:member");
    // The same role again: existed, applied, success.
    let out = run(create("org:member", true)).await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_lines(&out)[0]["role_applied"], true);
}

#[test]
fn completions_and_the_manual_know_every_command() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    // The commands `--help` lists, read from its "Commands:" section.
    let commands: Vec<String> = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.contains(&"plan".to_string()) && commands.contains(&"apply".to_string()));
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for c in &commands {
            assert!(script.contains(c.as_str()), "{shell} completes {c}");
        }
    }
    let dir = temp_dir("man");
    let out = Command::new(BIN)
        .args(["man", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let top = std::fs::read_to_string(dir.join("clerk-invitations.1")).unwrap();
    assert!(top.starts_with(".ie") || top.contains(".TH"), "roff");
    for c in &commands {
        assert!(top.contains(c.as_str()), "the manual lists {c}");
        assert!(
            dir.join(format!("clerk-invitations-{c}.1")).exists(),
            "a page for {c}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_column_reaches_the_request_and_an_unknown_template_is_invalid() {
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let mut inv = crate::support::invitation();
    inv["email_address"] = json!("t@template.test");
    Mock::given(method("POST"))
        .and(path_regex("^/v1/invitations(/bulk)?$"))
        .respond_with(move |r: &wiremock::Request| {
            let bulk = r.url.path().ends_with("/bulk");
            ResponseTemplate::new(200).set_body_json(if bulk {
                json!([inv.clone()])
            } else {
                inv.clone()
            })
        })
        .mount(&server)
        .await;
    let dir = temp_dir("template");
    let csv = dir.join("t.csv");
    write(
        &csv,
        "email,template\nt@template.test,waitlist_invitation\nu@template.test,newsletter\n",
    );
    let mut c = Command::new(BIN);
    c.env("CLERK_SECRET_KEY", "sk_test_TemplateFixtureOnly")
        .env("CLERK_API_URL", format!("{}/v1", server.uri()))
        .args(["--json", "invite", "--csv"])
        .arg(&csv);
    let out = run(c).await;
    let lines = json_lines(&out);
    let invalid: Vec<&Value> = lines.iter().filter(|l| l["outcome"] == "invalid").collect();
    assert_eq!(invalid.len(), 1, "{lines:?}");
    assert!(
        invalid[0]["reason"]
            .as_str()
            .unwrap()
            .contains("`newsletter` is not a template")
    );
    let bodies: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let sent = if bodies[0].is_array() {
        bodies[0][0].clone()
    } else {
        bodies[0].clone()
    };
    assert_eq!(sent["template_slug"], "waitlist_invitation", "{sent}");
    assert_eq!(sent["email_address"], "t@template.test");
    std::fs::remove_dir_all(&dir).unwrap();
}
