//! The core's layers, checked: no module imports from a layer above its own, and no two modules
//! import each other, however indirectly. The layers are read from ARCHITECTURE.md's table (between
//! `<!-- layers -->` and `<!-- /layers -->`), so the document and the code cannot drift apart, and
//! every top-level module under `src/` must be in it.
//!
//! A module is a top-level name under `src/` (`src/oktell/webhook.rs` belongs to `oktell`). Its
//! imports are every `crate::<name>` path in its code, in `use` lines and inline, including each
//! name of a `crate::{a, b::c}` group; comment lines are skipped, `super::` and `self::` stay inside
//! the module. It is not clever, and need not be: the code base writes its paths this way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, bottom first: each a list of module names.
fn layers(architecture: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    let start = architecture
        .find("<!-- layers -->")
        .ok_or("ARCHITECTURE.md has no `<!-- layers -->` table")?;
    let end = architecture[start..]
        .find("<!-- /layers -->")
        .ok_or("ARCHITECTURE.md's layer table has no `<!-- /layers -->` end")?;
    let mut out = Vec::new();
    for line in architecture[start..start + end].lines() {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
        if cells.len() < 2 || !cells[0].trim().starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let names = cells[1]
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        out.push((cells[0].trim().to_string(), names));
    }
    if out.is_empty() {
        return Err("ARCHITECTURE.md's layer table has no rows".into());
    }
    Ok(out)
}

/// The modules named by `crate::` paths in `code` (comment lines skipped).
fn imports(code: &str) -> BTreeSet<String> {
    let text: String = code
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("crate::") {
        // Not the tail of a longer name (`my_crate::`).
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // The first name of each item at the group's top level.
            let (mut depth, mut item_start, mut end) = (0usize, true, group.len());
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        end = j;
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        item_start = false;
                        out.insert(ident(&group[j..]));
                    }
                    _ => {}
                }
            }
            rest = &group[end..];
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every top-level module under `src/` (lib.rs aside) with the text of its files.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let mut text = String::new();
            let mut stack = vec![path.clone()];
            while let Some(dir) = stack.pop() {
                for e in std::fs::read_dir(&dir).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "rs") {
                        text.push_str(&std::fs::read_to_string(&p).unwrap());
                        text.push('\n');
                    }
                }
            }
            out.entry(name).or_default().push_str(&text);
        } else if path.extension().is_some_and(|x| x == "rs") && name != "lib" {
            let text = std::fs::read_to_string(&path).unwrap();
            out.entry(name).or_default().push_str(&text);
        }
    }
    out
}

/// Every breach of the layering: an unplaced module, an import from a layer above, a circle.
fn breaches(layers: &[(String, Vec<String>)], modules: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut level = BTreeMap::new();
    for (i, (_, names)) in layers.iter().enumerate() {
        for n in names {
            if level.insert(n.clone(), i).is_some() {
                out.push(format!("`{n}` is in two layers"));
            }
        }
    }
    let mut graph: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, text) in modules {
        let Some(&mine) = level.get(name) else {
            out.push(format!(
                "src/ module `{name}` is in no layer of ARCHITECTURE.md's table"
            ));
            continue;
        };
        let used: BTreeSet<String> = imports(text)
            .into_iter()
            .filter(|n| n != name && modules.contains_key(n))
            .collect();
        for n in &used {
            match level.get(n) {
                Some(&theirs) if theirs > mine => out.push(format!(
                    "`{name}` ({}) imports `{n}` from a layer above ({})",
                    layers[mine].0, layers[theirs].0
                )),
                _ => {}
            }
        }
        graph.insert(name, used);
    }
    // Circles: a depth-first search that meets a module still on its path.
    fn visit<'a>(
        n: &'a str,
        graph: &'a BTreeMap<&str, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
        out: &mut Vec<String>,
    ) {
        if let Some(i) = path.iter().position(|p| *p == n) {
            out.push(format!("circle: {} → {n}", path[i..].join(" → ")));
            return;
        }
        if !done.insert(n) {
            return;
        }
        path.push(n);
        for m in graph.get(n).into_iter().flatten() {
            if let Some((k, _)) = graph.get_key_value(m.as_str()) {
                visit(k, graph, path, done, out);
            }
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        visit(n, &graph, &mut Vec::new(), &mut done, &mut out);
    }
    out
}

#[test]
fn no_module_imports_from_a_layer_above_and_none_is_in_a_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let layers = layers(&doc).unwrap();
    // ELMA365_VOIP_LAYERS_SRC: check another tree's src/ against this table (to see the check bite).
    let src =
        std::env::var("ELMA365_VOIP_LAYERS_SRC").map_or_else(|_| root.join("src"), Into::into);
    let modules = modules(&src);
    assert!(modules.len() >= 15, "{:?}", modules.keys());
    let found = breaches(&layers, &modules);
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

#[test]
fn the_check_finds_an_upward_import_a_circle_and_an_unplaced_module() {
    let layers = vec![
        (
            "1. values".to_string(),
            vec!["a".to_string(), "b".to_string()],
        ),
        ("2. top".to_string(), vec!["top".to_string()]),
    ];
    let mut modules = BTreeMap::new();
    // `a` reaches up inline, and `a` and `b` import each other through a multi-line group.
    modules.insert(
        "a".to_string(),
        "use crate::{\n    b::{x, y},\n    c,\n};\nfn f() { crate::top::run() }\n// crate::nothing\n"
            .to_string(),
    );
    modules.insert("b".to_string(), "use crate::a::Thing;\n".to_string());
    modules.insert(
        "top".to_string(),
        "use crate::{a, b};\nuse my_crate::top;\n".to_string(),
    );
    modules.insert("stray".to_string(), String::new());
    let found = breaches(&layers, &modules);
    assert!(
        found
            .iter()
            .any(|f| f.contains("`a` (1. values) imports `top`")),
        "{found:?}"
    );
    assert!(found.iter().any(|f| f == "circle: a → b → a"), "{found:?}");
    assert!(
        found.iter().any(|f| f == "circle: a → top → a"),
        "{found:?}"
    );
    assert!(
        found.iter().any(|f| f.contains("`stray` is in no layer")),
        "{found:?}"
    );
    assert_eq!(found.len(), 4, "{found:?}");
    assert_eq!(
        imports("use crate::{\n    b::{x, y},\n    c,\n};\nlet s = crate::top::f;"),
        ["b", "c", "top"].iter().map(|s| s.to_string()).collect()
    );
}
