//! Static bounds on a compiled CEL expression.
//!
//! The `cel` crate has no cost budget, so the compiler refuses what could be
//! expensive or surprising before a request ever reaches it: source length,
//! AST depth and size, comprehensions (`all`, `exists`, `map`, `filter`)
//! nested more than [`Limits::max_comprehension_nesting`] deep, and names
//! that no request would ever bind (a typo in `objet.Image` would otherwise
//! deny every request at run time).

use cel::common::ast::{EntryExpr, Expr};
use cel::IdedExpr;

/// Compile-time bounds for custom rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest expression source, in bytes.
    pub max_expression_bytes: usize,
    /// Deepest nesting of `(`, `[` and `{`, checked on the source before it
    /// is parsed: the generated parser needs about 150 KiB of stack per level
    /// in a debug build (a 2 MiB thread overflows at 12), so the limit is
    /// kept well below where any thread could overflow.
    pub max_bracket_depth: usize,
    /// Parser recursion limit (a second guard behind `max_bracket_depth`).
    pub max_parse_depth: u16,
    /// Deepest AST after macro expansion.
    pub max_ast_depth: usize,
    /// Most AST nodes in one expression.
    pub max_ast_nodes: usize,
    /// Comprehensions inside comprehensions: 2 allows `a.all(x, b.exists(y, ..))`.
    pub max_comprehension_nesting: usize,
    /// Most custom rules in one policy.
    pub max_rules: usize,
    /// Most variables in one rule.
    pub max_variables: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_expression_bytes: 4096,
            max_bracket_depth: 8,
            max_parse_depth: 24,
            max_ast_depth: 64,
            max_ast_nodes: 1024,
            max_comprehension_nesting: 2,
            max_rules: 64,
            max_variables: 16,
        }
    }
}

/// The deepest bracket nesting of a CEL source, outside string literals, and
/// the 0-based character index of the first bracket that reaches `limit + 1`.
pub(crate) fn bracket_depth(src: &str, limit: usize) -> Result<(), usize> {
    let chars: Vec<char> = src.chars().collect();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth > limit {
                    return Err(i);
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '"' | '\'' => {
                let raw = i > 0 && matches!(chars.get(i - 1), Some('r' | 'R'));
                let triple = chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c);
                i += if triple { 3 } else { 1 };
                // Skip to the closing quote(s); an unterminated string runs
                // to the end, where the parser reports it.
                while let Some(&d) = chars.get(i) {
                    if d == '\\' && !raw {
                        i += 2;
                        continue;
                    }
                    if d == c
                        && (!triple
                            || (chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c)))
                    {
                        i += if triple { 2 } else { 0 };
                        break;
                    }
                    if d == '\n' && !triple {
                        break;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The names a rule's input is bound to; comprehensions may not hide them.
const RESERVED: [&str; 3] = ["object", "request", "variables"];

/// Prepares a checked AST for evaluation: replaces every `variables.<name>`
/// with the identifier `@<index>`, the name the evaluator binds the
/// variable's value to (no CEL source can spell it), and moves map and list
/// literals to the right of `==` and `!=`. Run after [`check`], which
/// guarantees every such name is declared and the AST is shallow.
pub(crate) fn bind_variables(e: &mut IdedExpr, variables: &[&str]) {
    if let Expr::Select(s) = &e.expr {
        if let Expr::Ident(root) = &s.operand.expr {
            if root == "variables" {
                if let Some(i) = variables.iter().position(|v| *v == s.field) {
                    e.expr = Expr::Ident(format!("@{i}"));
                }
                return;
            }
        }
    }
    match &mut e.expr {
        Expr::Unspecified | Expr::Literal(_) | Expr::Ident(_) | Expr::Struct(_) => {}
        Expr::Select(s) => bind_variables(&mut s.operand, variables),
        Expr::Call(c) => {
            if let Some(t) = &mut c.target {
                bind_variables(t, variables);
            }
            c.args.iter_mut().for_each(|a| bind_variables(a, variables));
            // CEL's own maps and lists compare equal only to their own kind,
            // while the lazily wrapped body compares to anything; equality is
            // symmetric, so a literal goes to the right (`{} == object.Labels`
            // then means what it says).
            let literal = |e: &IdedExpr| matches!(e.expr, Expr::Map(_) | Expr::List(_));
            if (c.func_name == "_==_" || c.func_name == "_!=_")
                && c.args.len() == 2
                && c.args.first().is_some_and(literal)
                && !c.args.get(1).is_some_and(literal)
            {
                c.args.swap(0, 1);
            }
        }
        Expr::List(l) => l
            .elements
            .iter_mut()
            .for_each(|a| bind_variables(a, variables)),
        Expr::Map(m) => m.entries.iter_mut().for_each(|en| match &mut en.expr {
            EntryExpr::MapEntry(me) => {
                bind_variables(&mut me.key, variables);
                bind_variables(&mut me.value, variables);
            }
            EntryExpr::StructField(f) => bind_variables(&mut f.value, variables),
        }),
        Expr::Comprehension(c) => {
            for x in [
                &mut c.iter_range,
                &mut c.accu_init,
                &mut c.loop_cond,
                &mut c.loop_step,
                &mut c.result,
            ] {
                bind_variables(x, variables);
            }
        }
    }
}

/// CEL type names, usable as plain identifiers (`type(x) == string`).
const TYPE_NAMES: [&str; 11] = [
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "dyn",
];

/// Walks `e` and returns the first violated bound as a message and the id of
/// the offending node; on success, whether the expression reads `object`.
pub(crate) fn check(
    e: &IdedExpr,
    limits: &Limits,
    variables: &[&str],
) -> Result<bool, (String, u64)> {
    let mut w = Walker {
        limits,
        variables,
        nodes: 0,
        scope: Vec::new(),
        reads_object: false,
    };
    w.walk(e, 0, 0)?;
    Ok(w.reads_object)
}

struct Walker<'l> {
    limits: &'l Limits,
    variables: &'l [&'l str],
    nodes: usize,
    /// Names bound by the enclosing comprehensions.
    scope: Vec<String>,
    reads_object: bool,
}

impl Walker<'_> {
    /// Checks `e` and its children; an error names the innermost offending node.
    fn walk(&mut self, e: &IdedExpr, depth: usize, compr: usize) -> Result<(), (String, u64)> {
        let own = |m: String| (m, e.id);
        self.nodes += 1;
        if self.nodes > self.limits.max_ast_nodes {
            return Err(own(format!(
                "expression has more than {} nodes; split it into several rules or variables",
                self.limits.max_ast_nodes
            )));
        }
        if depth > self.limits.max_ast_depth {
            return Err(own(format!(
                "expression is nested deeper than {}",
                self.limits.max_ast_depth
            )));
        }
        let d = depth + 1;
        match &e.expr {
            Expr::Unspecified | Expr::Literal(_) => Ok(()),
            Expr::Ident(name) => self.ident(name).map_err(own),
            Expr::Select(s) => {
                if let Expr::Ident(root) = &s.operand.expr {
                    if root == "variables" {
                        if s.test {
                            return Err(own(format!(
                                "`has(variables.{})` is always true; test the variable's value instead",
                                s.field
                            )));
                        }
                        if self.variables.contains(&s.field.as_str()) {
                            return Ok(());
                        }
                        return Err(own(format!(
                            "unknown variable `variables.{}`; declare it under `variables:` before the expression that uses it",
                            s.field
                        )));
                    }
                }
                self.walk(&s.operand, d, compr)
            }
            Expr::Call(c) => {
                if let Some(t) = &c.target {
                    self.walk(t, d, compr)?;
                }
                c.args.iter().try_for_each(|a| self.walk(a, d, compr))
            }
            Expr::List(l) => l.elements.iter().try_for_each(|a| self.walk(a, d, compr)),
            Expr::Map(m) => m.entries.iter().try_for_each(|en| match &en.expr {
                EntryExpr::MapEntry(me) => {
                    self.walk(&me.key, d, compr)?;
                    self.walk(&me.value, d, compr)
                }
                EntryExpr::StructField(f) => self.walk(&f.value, d, compr),
            }),
            Expr::Struct(s) => Err(own(format!(
                "message construction `{} {{...}}` is not supported; use a map literal",
                s.type_name
            ))),
            Expr::Comprehension(c) => {
                let nested = compr + 1;
                if nested > self.limits.max_comprehension_nesting {
                    return Err(own(format!(
                        "comprehensions (all, exists, exists_one, map, filter) are nested more than {} deep",
                        self.limits.max_comprehension_nesting
                    )));
                }
                for v in std::iter::once(&c.iter_var).chain(&c.iter_var2) {
                    if RESERVED.contains(&v.as_str()) {
                        return Err(own(format!(
                            "`{v}` cannot name a comprehension variable: it would hide the rule's input"
                        )));
                    }
                }
                self.walk(&c.iter_range, d, compr)?;
                self.walk(&c.accu_init, d, compr)?;
                let before = self.scope.len();
                self.scope.push(c.iter_var.clone());
                if let Some(v2) = &c.iter_var2 {
                    self.scope.push(v2.clone());
                }
                self.scope.push(c.accu_var.clone());
                let r = self
                    .walk(&c.loop_cond, d, nested)
                    .and_then(|()| self.walk(&c.loop_step, d, nested))
                    .and_then(|()| self.walk(&c.result, d, nested));
                self.scope.truncate(before);
                r
            }
        }
    }

    fn ident(&mut self, name: &str) -> Result<(), String> {
        let shadowed = self.scope.iter().any(|n| n == name);
        if name == "object" && !shadowed {
            self.reads_object = true;
        }
        if name == "variables" {
            return Err("use `variables.<name>` to read a variable".to_string());
        }
        let known = name == "object"
            || name == "request"
            || TYPE_NAMES.contains(&name)
            || self.scope.iter().any(|n| n == name);
        if known {
            Ok(())
        } else {
            Err(format!(
                "unknown name `{name}`; a rule can read `object`, `request` and `variables.<name>`"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bracket_depth;

    #[test]
    fn bracket_depth_skips_string_literals_of_every_kind() {
        assert_eq!(bracket_depth("((1))", 2), Ok(()));
        assert_eq!(bracket_depth("((1))", 1), Err(1));
        assert_eq!(bracket_depth("[{(1)}]", 2), Err(2));
        for s in [
            r#"'((((' == 'a'"#,
            r#""[[[[" == 'a'"#,
            r#"'''((((''' == ''"#,
            r#""""{{{{""" == ''"#,
            r#"'\'((((' == 'a'"#,
            r#"r'\' == '('"#,
        ] {
            assert_eq!(bracket_depth(s, 1), Ok(()), "{s}");
        }
        // A closing bracket inside a string does not hide real depth.
        assert_eq!(bracket_depth("')))' + ((1))", 1), Err(9));
    }
}
