//! The folded text form of the legacy exception-handling `try` for the
//! scripts under `legacy/`.
//!
//! The `wast` crate still parses the flat legacy instructions (`try`,
//! `catch`, `catch_all`, `delegate`, `rethrow`) but no release after the
//! switch to `try_table` parses the folded form those scripts are written
//! in, `(try $l? bt (do instr*) (catch $t instr*)* (catch_all instr*)?)` or
//! `(try $l? bt (do instr*) (delegate l))`. [`unfold_try`] rewrites each
//! such form into its flat equivalent (`try $l? bt instr* catch $t instr*
//! ... end`, or `... delegate l`) before the script is parsed.
//!
//! Only the script's own syntax is rewritten: comments and quoted strings
//! (`(module quote "...")`, whose folded `try` must stay malformed) are
//! copied unchanged, and every newline is kept, so line numbers in reports
//! still match the file. A `(try` list that is not well formed is left as
//! it is, for the parser to report.

/// One piece of script text.
enum Node<'a> {
    /// An atom (keyword, id, number, string) or whitespace or a comment.
    Text(&'a str),
    /// A parenthesized list (its children exclude the parentheses).
    List(Vec<Node<'a>>),
}

impl<'a> Node<'a> {
    /// The atom this is, if it is one (not whitespace or a comment).
    fn atom(&self) -> Option<&'a str> {
        match self {
            Node::Text(t) if !is_trivia(t) => Some(t),
            _ => None,
        }
    }

    /// A list's first atom (its keyword).
    fn keyword(&self) -> Option<&'a str> {
        match self {
            Node::List(children) => children.iter().find_map(|c| match c {
                Node::Text(t) if is_trivia(t) => None,
                other => Some(other.atom()),
            })?,
            Node::Text(_) => None,
        }
    }
}

fn is_trivia(text: &str) -> bool {
    text.starts_with(|c: char| c.is_whitespace())
        || text.starts_with(";;")
        || text.starts_with("(;")
}

/// `text` with every folded legacy `try` made flat (see the module docs).
/// `None` if the parentheses do not balance (the parser then reports it).
pub fn unfold_try(text: &str) -> Option<String> {
    let mut pos = 0;
    let nodes = parse_list(text, &mut pos, false)?;
    let mut out = String::with_capacity(text.len());
    for node in &nodes {
        print(node, &mut out);
    }
    Some(out)
}

/// Reads nodes up to the closing `)` of the current list (`nested`) or the
/// end of the text.
fn parse_list<'a>(text: &'a str, pos: &mut usize, nested: bool) -> Option<Vec<Node<'a>>> {
    let mut nodes = Vec::new();
    loop {
        let rest = &text[*pos..];
        let Some(c) = rest.chars().next() else {
            return (!nested).then_some(nodes);
        };
        let len = if c.is_whitespace() {
            rest.find(|c: char| !c.is_whitespace())
                .unwrap_or(rest.len())
        } else if rest.starts_with(";;") {
            rest.find('\n').unwrap_or(rest.len())
        } else if rest.starts_with("(;") {
            block_comment_len(rest)?
        } else if c == '"' {
            string_len(rest)?
        } else if c == '(' {
            *pos += 1;
            nodes.push(Node::List(parse_list(text, pos, true)?));
            continue;
        } else if c == ')' {
            *pos += 1;
            return nested.then_some(nodes);
        } else {
            rest.find(|c: char| c.is_whitespace() || "()\";".contains(c))
                .unwrap_or(rest.len())
        };
        nodes.push(Node::Text(&rest[..len]));
        *pos += len;
    }
}

/// Length of the (nesting) block comment `(; ... ;)` at the start of `text`.
fn block_comment_len(text: &str) -> Option<usize> {
    let mut depth = 0;
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with("(;") {
            depth += 1;
            i += 2;
        } else if text[i..].starts_with(";)") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i += text[i..].chars().next()?.len_utf8();
        }
    }
    None
}

/// Length of the string literal at the start of `text` (`\"` and `\\`
/// escapes included).
fn string_len(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn print(node: &Node<'_>, out: &mut String) {
    match node {
        Node::Text(t) => out.push_str(t),
        Node::List(children) => {
            if node.keyword() == Some("try") && print_flat_try(children, out) {
                return;
            }
            out.push('(');
            for child in children {
                print(child, out);
            }
            out.push(')');
        }
    }
}

/// Prints the folded `try` with children `children` flat; `false` (nothing
/// printed) if it is not well formed.
fn print_flat_try(children: &[Node<'_>], out: &mut String) -> bool {
    // `try`, then label and block type, up to `(do ...)`.
    let Some(do_at) = children.iter().position(|c| c.keyword() == Some("do")) else {
        return false;
    };
    let clauses: Vec<&Node<'_>> = children[do_at + 1..]
        .iter()
        .filter(|c| !matches!(c, Node::Text(t) if is_trivia(t)))
        .collect();
    let keywords: Vec<&str> = clauses.iter().filter_map(|c| c.keyword()).collect();
    if keywords.len() != clauses.len() || !well_formed_clauses(&keywords) {
        return false;
    }
    let ends_with_delegate = keywords.last() == Some(&"delegate");
    for child in &children[..do_at] {
        print(child, out);
    }
    for node in &children[do_at..] {
        match node {
            // `(do a b)` -> ` a b`, `(catch $t a)` -> ` catch $t a`: the
            // keyword stays unless it is `do`.
            Node::List(parts) => {
                out.push(' ');
                let keyword_at = parts.iter().position(|p| p.atom().is_some());
                for (i, part) in parts.iter().enumerate() {
                    if Some(i) != keyword_at || part.atom() != Some("do") {
                        print(part, out);
                    }
                }
            }
            Node::Text(t) => out.push_str(t),
        }
    }
    if !ends_with_delegate {
        out.push_str(" end");
    }
    true
}

/// `catch*` then at most one `catch_all`, or a single `delegate`.
fn well_formed_clauses(keywords: &[&str]) -> bool {
    match keywords {
        [] => true,
        ["delegate"] => true,
        [rest @ .., last] => {
            rest.iter().all(|k| *k == "catch") && (*last == "catch" || *last == "catch_all")
        }
    }
}
