//! `--inputs FILE` for `mpc eval`, `mpc local` and `mpc run`: a JSON object of name to
//! value, or a CSV file whose columns are array inputs, alone and combined with
//! `--input` (which overrides the file's value); each result compared with the same
//! inputs given by `--input`; and the file's errors (unknown input, wrong width, bad
//! JSON, ragged CSV, too many elements, another party's input), each one sentence that
//! names the file and where in it, exit status 1, no panic.

mod common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::{assert_one_sentence_failure, example, free_port, ok, path_str, scratch, spawn};

const LIMIT: Duration = Duration::from_secs(60);

fn finish(child: std::process::Child) -> Output {
    common::finish(child, LIMIT)
}

fn mpc(args: &[&str]) -> Output {
    finish(spawn(args))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path_str(&path).to_string()
}

#[test]
fn eval_and_local_take_json_and_csv_files() {
    let dir = scratch("eval_local");
    let median = example("median.mpc");
    let want = ok(&mpc(&["eval", &median, "--input", "a=[10, 50, 20, 70]", "--input", "b=[30, 60, 40]"]));
    assert_eq!(want, "median: 40\n");
    let json = write(&dir, "median.json", r#"{"a": [10, 50, "0x14", 70], "b": ["30", 60, 40]}"#);
    // Columns of different lengths: b ends at its first empty cell.
    let csv = write(&dir, "median.csv", "a,b\n10,30\n50,60\n20,40\n70,\n");
    for file in [&json, &csv] {
        assert_eq!(ok(&mpc(&["eval", &median, "--inputs", file])), want, "{file}");
        assert_eq!(ok(&mpc(&["local", &median, "--inputs", file])), want, "{file}");
    }
    let json_out = ok(&mpc(&["local", &median, "--inputs", &csv, "--json"]));
    assert_eq!(json_out, "{\"median\":40}\n");

    // `--input` overrides the file's value; inputs the file lacks come from `--input`.
    let out = ok(&mpc(&["eval", &median, "--inputs", &json, "--input", "b=[1, 1, 1]"]));
    assert_eq!(out, "median: 10\n");
    let half = write(&dir, "half.json", r#"{"a": [1, 2, 3, 4]}"#);
    let out = ok(&mpc(&["eval", &median, "--inputs", &half, "--input", "b=[5, 6, 7]"]));
    assert_eq!(out, "median: 4\n");
    // A missing input is still one sentence.
    let err = assert_one_sentence_failure(&mpc(&["eval", &median, "--inputs", &half]));
    assert!(err.contains("missing input `b`"), "{err}");

    // Both parties' arrays from one CSV file; --stats still goes to stderr.
    let stats = example("stats.mpc");
    let out = ok(&mpc(&["local", &stats, "--inputs", &csv_of(&dir), "--stats"]));
    assert_eq!(out, "sum: 36\nmean: 4\nmax: 8\n");
    std::fs::remove_dir_all(dir).ok();
}

fn csv_of(dir: &Path) -> String {
    write(dir, "stats.csv", "a,b\n1,5\n2,6\n3,7\n4,8\n")
}

#[test]
fn two_run_processes_each_read_their_own_file() {
    let dir = scratch("run");
    let median = example("median.mpc");
    let alice = write(&dir, "alice.csv", "a\n5\n4\n3\n2\n");
    let bob = write(&dir, "bob.json", r#"{"b": [1, 0, 6]}"#);
    let addr = format!("127.0.0.1:{}", free_port());
    let a = spawn(&[
        "run",
        &median,
        "--party",
        "alice",
        "--listen",
        &addr,
        "--timeout",
        "20",
        "--inputs",
        &alice,
    ]);
    let b =
        spawn(&["run", &median, "--party", "bob", "--connect", &addr, "--timeout", "20", "--inputs", &bob]);
    let (a, b) = (finish(a), finish(b));
    assert_eq!(ok(&a), "median: 3\n");
    assert_eq!(ok(&b), "median: 3\n");

    // A file naming the other party's input is refused before any network.
    let err = assert_one_sentence_failure(&mpc(&[
        "run",
        &median,
        "--party",
        "alice",
        "--listen",
        &addr,
        "--timeout",
        "1",
        "--inputs",
        &bob,
    ]));
    assert!(
        err.contains("bob.json` key `b`: input `b` belongs to party bob, not to this party (alice)"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn file_errors_are_one_sentence_naming_file_and_place() {
    let dir = scratch("errors");
    let median = example("median.mpc");
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown.json",
            r#"{"a": [1, 2, 3, 4], "c": 1}"#,
            "unknown.json` key `c`: the circuit has no input named `c`",
        ),
        (
            "wide.json",
            r#"{"a": [1, 2, 3, 4294967296]}"#,
            "wide.json` key `a`: input `a`: [3]: value 4294967296 does not fit in u32",
        ),
        ("count.json", r#"{"a": [1, 2, 3]}"#, "count.json` key `a`: input `a`: expected 4 elements, got 3"),
        (
            "float.json",
            r#"{"a": [1, 2, 3, 1.5]}"#,
            "float.json` key `a`: input `a`: [3]: 1.5 is not an integer",
        ),
        ("bad.json", "{\"a\": [1, 2,\n", "bad.json` line 2 column 0: it is not valid JSON"),
        ("list.json", "[1, 2]", "list.json`: it is not a JSON object of input names to values"),
        ("ragged.csv", "a,b\n1,2\n3\n", "ragged.csv` line 3: it has 1 field, the header has 2"),
        (
            "many.csv",
            "b\n1\n2\n3\n4\n",
            "many.csv` line 5: input `b` has 3 elements and the column gives more",
        ),
        ("few.csv", "b\n1\n2\n", "few.csv` column `b`: input `b` has 3 elements and the column gives 2"),
        ("cell.csv", "b\n1\nx\n3\n", "cell.csv` line 3, column `b`: input `b`: element 1: "),
        ("unknown.csv", "a,c\n1,2\n", "unknown.csv` line 1, column `c`: the circuit has no input named `c`"),
    ];
    for (name, text, want) in cases {
        let file = write(&dir, name, text);
        let err =
            assert_one_sentence_failure(&mpc(&["eval", &median, "--inputs", &file, "--input", "b=[1,2,3]"]));
        assert!(err.contains(want), "{name}: {err}");
    }
    let missing = dir.join("none.json");
    let err = assert_one_sentence_failure(&mpc(&["local", &median, "--inputs", path_str(&missing)]));
    assert!(err.contains("cannot read `") && err.contains("none.json`"), "{err}");
    // An --input repeated is refused; one repeating the file's value is not.
    let json = write(&dir, "ok.json", r#"{"b": [1, 2, 3]}"#);
    let args = ["eval", &median, "--inputs", &json, "--input", "a=[1,2,3,4]", "--input", "a=[1,2,3,4]"];
    assert!(assert_one_sentence_failure(&mpc(&args)).contains("input `a` is given twice"));
    std::fs::remove_dir_all(dir).ok();
}
