//! The docs promise commands: every `just RECIPE` a README or a file under `docs/`
//! names must be a recipe of the Justfile (CI also runs `just --summary`, which
//! checks the Justfile parses).

#![allow(clippy::expect_used, clippy::panic, reason = "test code")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// Recipe names: a line at column 0 that starts with a name and has a `:` outside
/// `{{…}}` defaults, e.g. `fuzz SECONDS="60" *TARGETS:`.
fn recipes(justfile: &str) -> BTreeSet<String> {
    justfile
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter(|l| l.trim_end().ends_with(':') && !l.contains(":="))
        .filter_map(|l| l.split([' ', ':']).next())
        .map(str::to_string)
        .collect()
}

/// `just NAME` in inline code (`` `just NAME` ``) or at the start of a line in a
/// fenced code block.
fn mentions(markdown: &str) -> Vec<(usize, String)> {
    let word = |s: &str| {
        s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .next()
            .unwrap_or("")
            .to_string()
    };
    let mut out = Vec::new();
    let mut fenced = false;
    for (n, line) in markdown.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            if let Some(rest) = line.trim_start().strip_prefix("just ") {
                out.push((n + 1, word(rest)));
            }
            continue;
        }
        for (i, _) in line.match_indices("`just ") {
            out.push((n + 1, word(&line[i + 6..])));
        }
    }
    out.retain(|(_, w)| !w.is_empty());
    out
}

fn docs() -> Vec<PathBuf> {
    let root = root();
    let mut files = vec![root.join("README.md")];
    for dir in [
        "emulator",
        "connector",
        "harness",
        "policy-fuzz",
        "fuzz",
        "scenarios",
    ] {
        files.push(root.join(dir).join("README.md"));
    }
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        files.extend(entries.filter_map(Result::ok).map(|e| e.path()));
    }
    files.retain(|p| p.extension().is_some_and(|e| e == "md") && p.is_file());
    files
}

#[test]
fn every_just_recipe_the_docs_name_exists() {
    let justfile = std::fs::read_to_string(root().join("Justfile")).expect("Justfile");
    let known = recipes(&justfile);
    assert!(known.contains("test") && known.contains("fuzz"), "{known:?}");
    let mut missing = Vec::new();
    let mut seen = 0;
    for file in docs() {
        let text = std::fs::read_to_string(&file).expect("read doc");
        for (line, recipe) in mentions(&text) {
            seen += 1;
            if !known.contains(&recipe) {
                missing.push(format!("{}:{line}: `just {recipe}`", file.display()));
            }
        }
    }
    assert!(seen > 0, "the docs name no recipe at all: is the parser right?");
    assert!(
        missing.is_empty(),
        "recipes the Justfile lacks: {missing:#?} (it has {known:?})"
    );
}

#[test]
fn the_parsers_read_recipes_and_mentions() {
    let just = "# c\nfuzz SECONDS=\"60\" *TARGETS:\n    x\nset shell := [\"bash\"]\ntest:\n";
    assert_eq!(
        recipes(just),
        BTreeSet::from(["fuzz".to_string(), "test".to_string()])
    );
    let md = "run `just fuzz 30` or `just`\n```sh\njust bench   # x\ncargo run\n```\njust prose here\n";
    let found: Vec<String> = mentions(md).into_iter().map(|(_, w)| w).collect();
    assert_eq!(found, ["fuzz", "bench"]);
}

#[test]
fn scenarios_readme_documents_every_step_kind() {
    let readme = std::fs::read_to_string(root().join("scenarios/README.md")).expect("scenarios/README.md");
    let headings: Vec<&str> = readme.lines().filter(|l| l.starts_with("### ")).collect();
    for kind in harness::steps::StepKind::ALL {
        let name = format!("`{}`", kind.name());
        assert!(
            headings.iter().any(|h| h.contains(&name)),
            "scenarios/README.md has no `### ` heading for {name}"
        );
    }
}

/// Every scenario file says, in one comment line, where the customer's mistake
/// is (`# the mistake: …`, on the line above it) or that it shows a working setup
/// (`# no mistake: …`): a support engineer pastes these files into tickets.
#[test]
fn every_scenario_points_at_its_mistake() {
    let files = scenario_files();
    let mut wrong = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read scenario");
        let marks = text
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                l.starts_with("# the mistake:") || l.starts_with("# no mistake:")
            })
            .count();
        if marks != 1 {
            wrong.push(format!("{}: {marks} lines", f.display()));
        }
    }
    assert!(
        wrong.is_empty(),
        "each scenario needs exactly one `# the mistake:` or `# no mistake:` line: {wrong:#?}"
    );
}

fn scenario_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root().join("scenarios")];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)
            .expect("read scenarios")
            .filter_map(Result::ok)
        {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "toml") {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 100, "found only {} scenario files", files.len());
    files
}

/// `M07` and `M19–M28` (en dash or hyphen) in `text`, expanded.
fn entries(text: &str) -> BTreeSet<u32> {
    let mut out = BTreeSet::new();
    let cleaned = text.replace('\u{2013}', "-");
    for word in cleaned.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        let mut ends = word
            .split('-')
            .map(|m| m.strip_prefix('M').and_then(|n| n.parse::<u32>().ok()));
        match (ends.next().flatten(), ends.next().flatten()) {
            (Some(a), Some(b)) => out.extend(a..=b),
            (Some(a), None) => {
                out.insert(a);
            }
            _ => {}
        }
    }
    out
}

/// README's coverage paragraph is what the scenarios' `catalogue` fields say: the
/// count, the covered list and the "Not yet" list.
#[test]
fn readme_coverage_matches_the_scenarios() {
    let mut covered = BTreeSet::new();
    for f in scenario_files() {
        let text = std::fs::read_to_string(&f).expect("read scenario");
        let doc: toml::Value = toml::from_str(&text).expect("scenario parses");
        for m in doc
            .get("catalogue")
            .and_then(|c| c.as_array())
            .into_iter()
            .flatten()
        {
            covered.extend(entries(m.as_str().unwrap_or("")));
        }
    }
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let section = readme
        .split("## Coverage of the misconfiguration catalogue")
        .nth(1)
        .expect("README has the coverage section");
    let (claimed, missing) = section.split_once("Not yet:").expect("a `Not yet:` list");
    let claimed_list = claimed
        .split_once('(')
        .and_then(|(_, r)| r.split_once(')'))
        .map(|(l, _)| l);
    assert_eq!(
        entries(claimed_list.unwrap_or("")),
        covered,
        "README's covered list differs from the scenarios' catalogue fields"
    );
    let count = format!("cover {} of the 70", covered.len());
    assert!(section.contains(&count), "README should say `{count}`");
    let missing: BTreeSet<u32> = entries(missing.split("\n\n").next().unwrap_or(""));
    let expected: BTreeSet<u32> = (1..=70).filter(|m| !covered.contains(m)).collect();
    assert_eq!(missing, expected, "README's `Not yet` list");
    assert_eq!(
        entries("M01, M19\u{2013}M21 and M3"),
        BTreeSet::from([1, 3, 19, 20, 21])
    );
}
