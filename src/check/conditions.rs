//! Conditions: resolve names against a pipeline and type-check comparisons.

use super::Checker;
use crate::diagnostics::{codes, Diagnostic};
use crate::model::{Builtin, Cmp, Cond, FactType, Operand, Pipeline, Value};
use crate::syntax::ast::{CmpOp, DurationUnit, Expr, ExprKind, Literal};

/// The static type of an operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Bool,
    Money(Option<String>),
    Duration,
    Score,
    Number,
    Percent,
    Text,
    /// already reported; suppress follow-on errors
    Error,
}

impl Ty {
    fn name(&self) -> String {
        match self {
            Ty::Bool => "bool".into(),
            Ty::Money(Some(c)) => format!("money ({c})"),
            Ty::Money(None) => "money".into(),
            Ty::Duration => "duration".into(),
            Ty::Score => "score".into(),
            Ty::Number => "number".into(),
            Ty::Percent => "percent".into(),
            Ty::Text => "text".into(),
            Ty::Error => "?".into(),
        }
    }

    pub fn of_fact(t: FactType) -> Ty {
        match t {
            FactType::Money => Ty::Money(None),
            FactType::Bool => Ty::Bool,
            FactType::Duration => Ty::Duration,
            FactType::Score => Ty::Score,
            FactType::Number => Ty::Number,
            FactType::Percent => Ty::Percent,
            FactType::Text => Ty::Text,
        }
    }
}

pub const BUILTINS: [(&str, Builtin); 4] = [
    ("dwell", Builtin::Dwell),
    ("idle", Builtin::Idle),
    ("age", Builtin::Age),
    ("touches", Builtin::Touches),
];

/// Convert a literal to a model value with its type.
pub fn literal_value(l: &Literal) -> (Value, Ty) {
    match l {
        Literal::Number(n) => (Value::Number(n.value), Ty::Number),
        Literal::Percent(p) => (Value::Percent(p.value / 100.0), Ty::Percent),
        Literal::Money(m) => (
            Value::Money {
                amount: m.amount.value,
                currency: m.currency.name.clone(),
            },
            Ty::Money(Some(m.currency.name.clone())),
        ),
        Literal::Duration(d) => {
            let v = match d.unit {
                DurationUnit::BusinessDay => Value::BusinessDays(d.amount),
                DurationUnit::BusinessHour => Value::BusinessMinutes(d.amount * 60.0),
                u => Value::Minutes(d.amount * super::unit_minutes(u)),
            };
            (v, Ty::Duration)
        }
        Literal::String(s) => (Value::Text(s.value.clone()), Ty::Text),
        Literal::Bool(b, _) => (Value::Bool(*b), Ty::Bool),
    }
}

enum Resolved {
    Fact(usize, Ty),
    Event(usize),
    Builtin(Builtin),
}

impl Checker {
    /// Type-check a condition against a pipeline (None: no pipeline, only built-ins and literals).
    pub(super) fn condition(&mut self, e: &Expr, p: Option<&Pipeline>) -> Cond {
        match &e.kind {
            ExprKind::Or(parts) => Cond::Or(parts.iter().map(|x| self.condition(x, p)).collect()),
            ExprKind::And(parts) => Cond::And(parts.iter().map(|x| self.condition(x, p)).collect()),
            ExprKind::Not(x) => Cond::Not(Box::new(self.condition(x, p))),
            ExprKind::Literal(Literal::Bool(true, _)) => Cond::True,
            ExprKind::Literal(Literal::Bool(false, _)) => Cond::Not(Box::new(Cond::True)),
            ExprKind::Literal(l) => {
                let (_, ty) = literal_value(l);
                self.not_a_condition(e, &ty);
                Cond::True
            }
            ExprKind::Path(path) => match self.resolve(&path.text, path.span, p) {
                Some(Resolved::Event(id)) => Cond::Event(id),
                Some(Resolved::Fact(id, Ty::Bool)) => Cond::Fact(id),
                Some(Resolved::Fact(_, ty)) => {
                    self.not_a_condition(e, &ty);
                    Cond::True
                }
                Some(Resolved::Builtin(_)) => {
                    self.not_a_condition(e, &Ty::Duration);
                    Cond::True
                }
                None => Cond::True,
            },
            ExprKind::Compare { lhs, op, rhs } => {
                let (l, lt) = self.operand(lhs, p);
                let (r, rt) = self.operand(rhs, p);
                self.compatible(e, (lhs, &lt), *op, (rhs, &rt));
                let op = match op {
                    CmpOp::Eq => Cmp::Eq,
                    CmpOp::Ne => Cmp::Ne,
                    CmpOp::Lt => Cmp::Lt,
                    CmpOp::Le => Cmp::Le,
                    CmpOp::Gt => Cmp::Gt,
                    CmpOp::Ge => Cmp::Ge,
                };
                Cond::Compare { lhs: l, op, rhs: r }
            }
        }
    }

    fn not_a_condition(&mut self, e: &Expr, ty: &Ty) {
        if *ty == Ty::Error {
            return;
        }
        self.push(
            Diagnostic::new(&codes::E0302, e.span, "this is not a condition")
                .with_label(format!(
                    "{} value, not true or false",
                    crate::diagnostics::with_article(&ty.name())
                ))
                .with_help("compare it with something, e.g. `amount > 100k CNY` or `dwell > 7d`"),
        );
    }

    fn operand(&mut self, e: &Expr, p: Option<&Pipeline>) -> (Operand, Ty) {
        match &e.kind {
            ExprKind::Literal(l) => {
                let (v, t) = literal_value(l);
                (Operand::Value(v), t)
            }
            ExprKind::Path(path) => match self.resolve(&path.text, path.span, p) {
                Some(Resolved::Fact(id, t)) => (Operand::Fact(id), t),
                Some(Resolved::Event(_)) => {
                    self.push(
                        Diagnostic::new(
                            &codes::E0301,
                            e.span,
                            format!("event `{}` cannot be compared", path.text),
                        )
                        .with_label("an event is true once it happened")
                        .with_help(format!(
                            "use it on its own: `{}` or `not {}`",
                            path.text, path.text
                        )),
                    );
                    (Operand::Value(Value::Bool(false)), Ty::Error)
                }
                Some(Resolved::Builtin(b)) => {
                    let t = if b == Builtin::Touches {
                        Ty::Number
                    } else {
                        Ty::Duration
                    };
                    (Operand::Builtin(b), t)
                }
                None => (Operand::Value(Value::Bool(false)), Ty::Error),
            },
            _ => {
                self.push(
                    Diagnostic::new(&codes::E0301, e.span, "a condition cannot be compared")
                        .with_label("true or false, not a value")
                        .with_help("compare facts or built-ins with values: `amount > 100k CNY`"),
                );
                (Operand::Value(Value::Bool(false)), Ty::Error)
            }
        }
    }

    fn resolve(
        &mut self,
        name: &str,
        span: crate::source::Span,
        p: Option<&Pipeline>,
    ) -> Option<Resolved> {
        if let Some((_, b)) = BUILTINS.iter().find(|(n, _)| *n == name) {
            return Some(Resolved::Builtin(*b));
        }
        if let Some(p) = p {
            if let Some(i) = p.facts.iter().position(|f| f.path == name) {
                return Some(Resolved::Fact(i, Ty::of_fact(p.facts[i].ty)));
            }
            if let Some(i) = p.events.iter().position(|ev| ev == name) {
                return Some(Resolved::Event(i));
            }
        }
        let candidates: Vec<&str> = p
            .map(|p| {
                p.facts
                    .iter()
                    .map(|f| f.path.as_str())
                    .chain(p.events.iter().map(|e| e.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        let all: Vec<&str> = candidates
            .iter()
            .copied()
            .chain(BUILTINS.iter().map(|(n, _)| *n))
            .collect();
        let context = match p {
            Some(p) => format!(" in pipeline `{}`", p.name),
            None => " (this cadence has no pipeline)".to_string(),
        };
        self.unknown(&codes::E0206, "fact or event", name, span, &context, all);
        None
    }

    fn compatible(&mut self, e: &Expr, (le, lt): (&Expr, &Ty), op: CmpOp, (re, rt): (&Expr, &Ty)) {
        use Ty::*;
        let ordered = matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge);
        let mismatch = |cx: &mut Checker, help: String| {
            cx.push(
                Diagnostic::new(
                    &codes::E0301,
                    e.span,
                    format!("cannot compare {} with {}", lt.name(), rt.name()),
                )
                .with_label(format!("{} {} {}", lt.name(), op.as_str(), rt.name()))
                .with_help(help),
            );
        };
        match (lt, rt) {
            (Error, _) | (_, Error) => {}
            (Money(a), Money(b)) => {
                if let (Some(a), Some(b)) = (a, b) {
                    if a != b {
                        self.push(
                            Diagnostic::new(
                                &codes::E0305,
                                e.span,
                                format!("cannot compare {a} with {b}"),
                            )
                            .with_label("different currencies")
                            .with_help("cadence does not convert currencies; use one currency"),
                        );
                    }
                }
            }
            (Duration, Duration) | (Number, Number) | (Percent, Percent) | (Score, Score) => {}
            (Score, Number) | (Number, Score) => {
                let lit = if *lt == Number { le } else { re };
                if let ExprKind::Literal(Literal::Number(n)) = &lit.kind {
                    if !(0.0..=1.0).contains(&n.value) {
                        self.push(
                            Diagnostic::new(
                                &codes::E0303,
                                n.span,
                                format!("a score is compared with {}", n.raw),
                            )
                            .with_label("outside 0..1")
                            .with_help(if n.value <= 100.0 {
                                format!(
                                    "scores run from 0 to 1: did you mean `{}`?",
                                    n.value / 100.0
                                )
                            } else {
                                "scores run from 0 to 1".to_string()
                            }),
                        );
                    }
                }
            }
            (Score, Percent) | (Percent, Score) => {}
            (Text, Text) | (Bool, Bool) => {
                if ordered {
                    self.push(
                        Diagnostic::new(
                            &codes::E0306,
                            e.span,
                            format!("`{}` on {} values", op.as_str(), lt.name()),
                        )
                        .with_label("no order")
                        .with_help("compare text and bool values with `==` or `!=`"),
                    );
                }
            }
            (Percent, Number) | (Number, Percent) => mismatch(
                self,
                "write the number as a percentage, e.g. `30%`".to_string(),
            ),
            (Money(_), Number) | (Number, Money(_)) => mismatch(
                self,
                "give the amount a currency, e.g. `50k CNY`".to_string(),
            ),
            (Duration, Number) | (Number, Duration) => mismatch(
                self,
                "give the number a unit, e.g. `7d` or `4 business hours`".to_string(),
            ),
            _ => mismatch(
                self,
                "both sides of a comparison must have the same type".to_string(),
            ),
        }
    }
}
