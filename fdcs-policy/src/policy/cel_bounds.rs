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
    /// Parser recursion limit (parentheses, lists, maps, calls).
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
            max_parse_depth: 24,
            max_ast_depth: 64,
            max_ast_nodes: 1024,
            max_comprehension_nesting: 2,
            max_rules: 64,
            max_variables: 16,
        }
    }
}

/// CEL type names, usable as plain identifiers (`type(x) == string`).
const TYPE_NAMES: [&str; 11] = [
    "int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "dyn",
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
                    if root == "variables" && !self.scope.iter().any(|n| n == root) {
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
        let known = name == "object"
            || name == "request"
            || (name == "variables" && !self.variables.is_empty())
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
