//! Declarations: enumerations, facts, sets and outcomes.

use std::sync::Arc;

use super::{Checker, EnumDef, FactDef, FactId, OutcomeDef, OutcomeId, OutcomeKind};
use crate::ast::{self, Item, LiteralKind};
use crate::diag::Diagnostic;
use crate::source::Span;
use crate::value::{EnumId, Scalar, Type, Value};

const BUILTIN_TYPES: &[&str] = &["bool", "number", "text", "date", "days"];

impl Checker<'_> {
    pub(super) fn declarations(&mut self, files: &[ast::File]) {
        let items = || files.iter().flat_map(|file| file.items.iter());
        for item in items() {
            if let Item::Enum(decl) = item
                && !decl.extends
            {
                self.enum_decl(decl);
            }
        }
        // Extensions after every declaration, whatever the order of the files.
        for item in items() {
            if let Item::Enum(decl) = item
                && decl.extends
            {
                self.enum_extend(decl);
            }
        }
        for item in items() {
            if let Item::Fact(decl) = item {
                self.fact_decl(decl);
            }
        }
        self.implicit_as_of();
        self.fact_prefixes();
        for item in items() {
            match item {
                Item::Set(decl) => self.set_decl(decl),
                Item::Term(decl) => self.term_decl(decl),
                Item::Outcome(decl) => self.outcome_decl(decl),
                _ => {}
            }
        }
    }

    fn enum_decl(&mut self, decl: &ast::EnumDecl) {
        if let Some(id) = self.names.enums.get(&decl.name.text).copied() {
            // One diagnostic for the root cause: the values of both declarations are kept,
            // so that no use of either is reported as unknown, and the declaration with
            // fewer values (the likely addition) is the one blamed.
            let Some(first) = self.program.enums.get(id.0 as usize) else { return };
            let (first_span, first_count) = (first.span, first.values.len());
            let (blamed, other) = if decl.values.len() <= first_count {
                (decl.name.span, first_span)
            } else {
                (first_span, decl.name.span)
            };
            self.report(
                Diagnostic::error(
                    "tenet::check::duplicate_enum",
                    format!("enumeration `{}` is declared twice", decl.name.text),
                )
                .at(blamed, "declared again here")
                .also(other, "also declared here")
                .help(format!(
                    "to add values to `{0}` from this file, write `extend enum {0} {{ ... }}`; declared at {1} and {2}",
                    decl.name.text,
                    self.sources.location(other),
                    self.sources.location(blamed)
                )),
            );
            self.add_values(id, decl);
            return;
        }
        if BUILTIN_TYPES.contains(&decl.name.text.as_str()) {
            self.report(
                Diagnostic::error("tenet::check::builtin_type", format!("`{}` is a built-in type", decl.name.text))
                    .at(decl.name.span, "choose another name"),
            );
            return;
        }
        let mut values: Vec<String> = Vec::new();
        let mut labels: Vec<Option<String>> = Vec::new();
        for (position, value) in decl.values.iter().enumerate() {
            if values.contains(&value.text) {
                self.report(
                    Diagnostic::error(
                        "tenet::check::duplicate_value",
                        format!("`{}` appears twice in enumeration `{}`", value.text, decl.name.text),
                    )
                    .at(value.span, "repeated here"),
                );
            } else {
                values.push(value.text.clone());
                labels.push(decl.labels.get(position).cloned().flatten());
            }
        }
        let id = EnumId(self.program.enums.len() as u32);
        self.names.enums.insert(decl.name.text.clone(), id);
        self.program.enums.push(EnumDef { name: decl.name.text.clone(), values, labels, span: decl.name.span });
    }

    /// Resolves a type name: a built-in or a declared enumeration.
    pub(super) fn scalar_type(&mut self, name: &ast::Name) -> Option<Scalar> {
        Some(match name.text.as_str() {
            "bool" => Scalar::Bool,
            "number" => Scalar::Number,
            "text" => Scalar::Text,
            "date" => Scalar::Date,
            "days" => Scalar::Days,
            other => match self.names.enums.get(other) {
                Some(id) => Scalar::Enum(*id),
                None => {
                    let candidates: Vec<&str> =
                        BUILTIN_TYPES.iter().copied().chain(self.names.enums.keys().map(String::as_str)).collect();
                    let alias = match other {
                        "boolean" | "Bool" | "Boolean" => Some("bool"),
                        "string" | "str" | "String" | "Text" => Some("text"),
                        "int" | "integer" | "float" | "decimal" | "Number" => Some("number"),
                        "duration" | "day" | "Days" => Some("days"),
                        "Date" | "datetime" => Some("date"),
                        _ => None,
                    };
                    let diagnostic = Diagnostic::error("tenet::check::unknown_type", format!("unknown type `{other}`"))
                        .at(name.span, "not a built-in type or a declared enumeration");
                    let diagnostic = match alias {
                        Some(builtin) => diagnostic.help(format!("did you mean `{builtin}`?")),
                        None => diagnostic.suggest(other, candidates),
                    };
                    self.report(diagnostic);
                    return None;
                }
            },
        })
    }

    fn fact_decl(&mut self, decl: &ast::FactDecl) {
        let path = &decl.path.text;
        if let Some(first) = self.names.facts.get(path) {
            let first = self.program.facts.get(first.0 as usize).map(|def| def.span).unwrap_or_default();
            self.report(
                Diagnostic::error("tenet::check::duplicate_fact", format!("fact `{path}` is declared twice"))
                    .at(decl.path.span, "declared again here")
                    .also(first, "first declared here")
                    .help(format!("first declared at {}", self.sources.location(first))),
            );
            return;
        }
        let Some(scalar) = self.scalar_type(&decl.ty.name) else {
            return;
        };
        let ty = if decl.ty.list { Type::List(scalar) } else { scalar.ty() };
        let default = decl.default.as_ref().and_then(|literal| self.literal(literal, ty));
        if decl.optional && decl.default.is_some() {
            self.report(
                Diagnostic::warning(
                    "tenet::check::optional_default",
                    format!("fact `{path}` has a default, so it is never absent"),
                )
                .at(decl.path.span, "both `optional` and `default`")
                .help("drop `optional`: an omitted or null fact takes the default"),
            );
        }
        let id = FactId(self.program.facts.len() as u32);
        self.names.facts.insert(path.clone(), id);
        self.program.facts.push(FactDef {
            path: path.clone(),
            ty,
            optional: decl.optional,
            default,
            span: decl.path.span,
        });
    }

    /// Every rule set has the date of evaluation, `as_of`.
    fn implicit_as_of(&mut self) {
        match self.names.facts.get("as_of").copied() {
            Some(id) => {
                self.program.as_of = id;
                if let Some(def) = self.program.facts.get(id.0 as usize)
                    && def.ty != Type::Date
                {
                    let span = def.span;
                    self.report(
                        Diagnostic::error("tenet::check::as_of_type", "the fact `as_of` must be a `date`")
                            .at(span, "the date of evaluation")
                            .help("`as_of` is the date the rules are applied at; declare it `fact as_of : date`"),
                    );
                }
            }
            None => {
                let id = FactId(self.program.facts.len() as u32);
                self.names.facts.insert(String::from("as_of"), id);
                self.program.facts.push(FactDef {
                    path: String::from("as_of"),
                    ty: Type::Date,
                    optional: false,
                    default: None,
                    span: Span::default(),
                });
                self.program.as_of = id;
            }
        }
    }

    /// `fact a : bool` and `fact a.b : bool` cannot both exist.
    fn fact_prefixes(&mut self) {
        let mut problems = Vec::new();
        for def in &self.program.facts {
            let mut prefix = String::new();
            for segment in def.path.split('.') {
                if !prefix.is_empty() {
                    if let Some(id) = self.names.facts.get(&prefix) {
                        problems.push((def.span, def.path.clone(), prefix.clone(), *id));
                    }
                    prefix.push('.');
                }
                prefix.push_str(segment);
            }
        }
        for (span, path, prefix, _) in problems {
            self.report(
                Diagnostic::error(
                    "tenet::check::fact_prefix",
                    format!("`{prefix}` is a fact, so `{path}` cannot be one"),
                )
                .at(span, format!("`{prefix}` holds a value, not an object"))
                .help("a fact is either a value or an object of further facts"),
            );
        }
    }

    fn taken(&self, name: &str) -> bool {
        self.names.sets.contains_key(name)
            || self.names.outcomes.contains_key(name)
            || self.names.facts.contains_key(name)
            || self.names.terms.contains_key(name)
    }

    fn name_taken(&mut self, name: &ast::Name, what: &str) -> bool {
        if !self.taken(&name.text) {
            return false;
        }
        self.report(
            Diagnostic::error("tenet::check::duplicate_name", format!("the name `{}` is already used", name.text))
                .at(name.span, format!("this {what} has the name of a fact, set or outcome"))
                .help("facts, sets, terms and outcomes share one name space; rename one of them"),
        );
        true
    }

    fn set_decl(&mut self, decl: &ast::SetDecl) {
        if self.name_taken(&decl.name, "set") {
            return;
        }
        let scalar = match &decl.ty {
            Some(name) => self.scalar_type(name),
            None => match decl.values.first().map(|literal| &literal.kind) {
                Some(LiteralKind::Text(_)) => Some(Scalar::Text),
                Some(LiteralKind::Number(_)) => Some(Scalar::Number),
                Some(LiteralKind::Date(_)) => Some(Scalar::Date),
                Some(LiteralKind::Days(_)) => Some(Scalar::Days),
                Some(LiteralKind::Bool(_)) => Some(Scalar::Bool),
                Some(LiteralKind::Word(word)) => self.unique_enum_of(word),
                _ => None,
            },
        };
        let Some(scalar) = scalar else {
            if decl.ty.is_none() {
                self.report(
                    Diagnostic::error(
                        "tenet::check::set_type",
                        format!("cannot tell what set `{}` holds", decl.name.text),
                    )
                    .at(decl.name.span, "give its type")
                    .help(format!("write `set {} : TypeName = [...]`", decl.name.text)),
                );
            }
            return;
        };
        let values: Vec<Value> = decl.values.iter().filter_map(|literal| self.literal(literal, scalar.ty())).collect();
        let value = Value::List(Arc::from(values));
        self.names.sets.insert(decl.name.text.clone(), (value, scalar, decl.name.span));
    }

    /// `extend enum X { ... }`: values added to an enumeration declared elsewhere.
    fn enum_extend(&mut self, decl: &ast::EnumDecl) {
        let Some(id) = self.names.enums.get(&decl.name.text).copied() else {
            let names: Vec<&str> = self.program.enums.iter().map(|def| def.name.as_str()).collect();
            self.report(
                Diagnostic::error(
                    "tenet::check::unknown_enum",
                    format!("there is no enumeration `{}` to extend", decl.name.text),
                )
                .at(decl.name.span, "not a declared enumeration")
                .suggest(&decl.name.text, names),
            );
            return;
        };
        for value in &decl.values {
            if let Some(def) = self.program.enums.get(id.0 as usize)
                && def.values.contains(&value.text)
            {
                let at = self.sources.location(def.span);
                self.report(
                    Diagnostic::error(
                        "tenet::check::duplicate_value",
                        format!("`{}` is already a value of enumeration `{}`", value.text, decl.name.text),
                    )
                    .at(value.span, "already declared")
                    .help(format!("`{}` is declared at {at}; remove it here", decl.name.text)),
                );
            }
        }
        self.add_values(id, decl);
    }

    /// Appends the values of `decl` that enumeration `id` does not have yet.
    fn add_values(&mut self, id: EnumId, decl: &ast::EnumDecl) {
        let Some(def) = self.program.enums.get_mut(id.0 as usize) else { return };
        for (position, value) in decl.values.iter().enumerate() {
            if !def.values.contains(&value.text) {
                def.values.push(value.text.clone());
                def.labels.push(decl.labels.get(position).cloned().flatten());
            }
        }
    }

    /// The enumeration holding `word`, if exactly one does.
    pub(super) fn unique_enum_of(&self, word: &str) -> Option<Scalar> {
        let mut owners =
            self.program.enums.iter().enumerate().filter(|(_, def)| def.values.iter().any(|value| value == word));
        let first = owners.next()?;
        if owners.next().is_some() {
            return None;
        }
        Some(Scalar::Enum(EnumId(first.0 as u32)))
    }

    /// Terms are checked where they are used, in the scope of that use.
    fn term_decl(&mut self, decl: &ast::TermDecl) {
        if self.name_taken(&decl.name, "term") {
            return;
        }
        self.names.terms.insert(decl.name.text.clone(), decl.body.clone());
    }

    fn outcome_decl(&mut self, decl: &ast::OutcomeDecl) {
        if self.name_taken(&decl.name, "outcome") {
            return;
        }
        if super::REPORT_FIELDS.contains(&decl.name.text.as_str()) {
            self.report(
                Diagnostic::error(
                    "tenet::check::report_field",
                    format!(
                        "an outcome cannot be called `{}`: the JSON result has a field of that name",
                        decl.name.text
                    ),
                )
                .at(decl.name.span, "the result's own field")
                .help(format!(
                    "the JSON result lists its outcomes beside {}; give this one another name (`{}_found`, say)",
                    super::REPORT_FIELDS.iter().map(|field| format!("`{field}`")).collect::<Vec<_>>().join(", "),
                    decl.name.text
                )),
            );
            return;
        }
        let enum_of = |checker: &mut Self, name: &ast::Name| match checker.scalar_type(name) {
            Some(Scalar::Enum(id)) => Some(id),
            Some(_) => {
                checker.report(
                    Diagnostic::error("tenet::check::outcome_type", format!("`{}` is not an enumeration", name.text))
                        .at(name.span, "expected an enumeration")
                        .help("outcomes take their values from an `enum`"),
                );
                None
            }
            None => None,
        };
        let kind = match &decl.kind {
            ast::OutcomeKind::One(name) => enum_of(self, name).map(OutcomeKind::One),
            ast::OutcomeKind::Set(name) => enum_of(self, name).map(OutcomeKind::Set),
            ast::OutcomeKind::Duties(name) => enum_of(self, name).map(OutcomeKind::Duties),
            ast::OutcomeKind::Map(name) => self.scalar_type(name).map(OutcomeKind::Map),
            ast::OutcomeKind::Confidence => Some(OutcomeKind::Confidence),
        };
        let Some(kind) = kind else { return };
        if decl.required && !matches!(kind, OutcomeKind::One(_)) {
            self.report(
                Diagnostic::error(
                    "tenet::check::required_kind",
                    format!("only a `one of` outcome can be `required`; `{}` is not", decl.name.text),
                )
                .at(decl.span, "not a single value")
                .help("`required` says every request gets one value; sets, maps and duties may rightly stay empty"),
            );
        }
        let id = OutcomeId(self.program.outcomes.len() as u32);
        let unique = matches!(kind, OutcomeKind::Duties(_) | OutcomeKind::Confidence);
        if unique
            && let Some(other) = self
                .program
                .outcomes
                .iter()
                .find(|other| std::mem::discriminant(&other.kind) == std::mem::discriminant(&kind))
        {
            let other_span = other.span;
            let other_name = other.name.clone();
            self.report(
                Diagnostic::error(
                    "tenet::check::outcome_twice",
                    format!("only one outcome can be of this kind; `{other_name}` already is"),
                )
                .at(decl.span, "a second one")
                .also(other_span, "the first")
                .help(format!("first declared at {}", self.sources.location(other_span))),
            );
            return;
        }
        if let OutcomeKind::Duties(_) = kind {
            self.program.duties = Some(id);
        }
        self.names.outcomes.insert(decl.name.text.clone(), id);
        self.program.outcomes.push(OutcomeDef {
            name: decl.name.text.clone(),
            kind,
            required: decl.required && matches!(kind, OutcomeKind::One(_)),
            span: decl.name.span,
        });
    }

    /// A literal of the expected type (defaults and set members).
    pub(super) fn literal(&mut self, literal: &ast::Literal, ty: Type) -> Option<Value> {
        let value = match (&literal.kind, ty) {
            (LiteralKind::Bool(b), Type::Bool) => Value::Bool(*b),
            (LiteralKind::Number(n), Type::Number) => Value::Number(*n),
            (LiteralKind::Text(t), Type::Text) => Value::Text(Arc::from(t.as_str())),
            (LiteralKind::Date(d), Type::Date) => Value::Date(self.date(d, literal.span)?),
            (LiteralKind::Days(n), Type::Days) => Value::Days(*n),
            (LiteralKind::Months(n), Type::Months) => Value::Months(*n),
            (LiteralKind::Word(word), Type::Enum(id)) => self.enum_value(id, word, literal.span)?,
            (LiteralKind::List(items), Type::List(scalar)) => {
                let values: Option<Vec<Value>> = items.iter().map(|item| self.literal(item, scalar.ty())).collect();
                Value::List(Arc::from(values?))
            }
            (found, ty) => {
                let expected = self.type_name(ty);
                let found_words = match found {
                    LiteralKind::Bool(_) => "`true` or `false`",
                    LiteralKind::Number(_) => "a number",
                    LiteralKind::Text(_) => "a quoted string",
                    LiteralKind::Date(_) => "a date",
                    LiteralKind::Days(_) | LiteralKind::Months(_) => "a duration",
                    LiteralKind::Word(_) => "a name",
                    LiteralKind::List(_) => "a list",
                };
                let mut diagnostic = Diagnostic::error(
                    "tenet::check::type_mismatch",
                    format!("expected {expected}, found {found_words}"),
                )
                .at(literal.span, format!("this is not {expected}"));
                if let (LiteralKind::Number(n), Type::Days) = (found, ty) {
                    diagnostic = diagnostic.help(format!("write a duration with its unit: `{n} days`"));
                }
                if let (LiteralKind::Word(word), Type::Text) = (found, ty) {
                    diagnostic = diagnostic.help(format!("text is quoted: `\"{word}\"`"));
                }
                self.report(diagnostic);
                return None;
            }
        };
        Some(value)
    }

    /// `word` as a value of enumeration `id`, with did-you-mean if it is not one.
    pub(super) fn enum_value(&mut self, id: EnumId, word: &str, span: Span) -> Option<Value> {
        let def = self.program.enums.get(id.0 as usize)?;
        if let Some(index) = def.values.iter().position(|value| value == word) {
            return Some(Value::Enum(id, index as u32));
        }
        let diagnostic = Diagnostic::error(
            "tenet::check::unknown_value",
            format!("`{word}` is not a value of enumeration `{}`", def.name),
        )
        .at(span, format!("not one of the values of `{}`", def.name));
        let diagnostic = diagnostic.help(def.suggestion(word, "`"));
        self.report(diagnostic);
        None
    }

    /// A type as the user writes it: `date`, `list of Category`.
    pub(super) fn type_name(&self, ty: Type) -> String {
        let scalar = |scalar: Scalar| match scalar {
            Scalar::Bool => String::from("`bool`"),
            Scalar::Number => String::from("`number`"),
            Scalar::Text => String::from("`text`"),
            Scalar::Date => String::from("`date`"),
            Scalar::Days => String::from("`days`"),
            Scalar::Enum(id) => {
                format!("`{}`", self.program.enums.get(id.0 as usize).map_or("?", |def| def.name.as_str()))
            }
        };
        match ty {
            Type::List(inner) => format!("a list of {}", scalar(inner)),
            Type::Months => String::from("months"),
            other => other.scalar().map(scalar).unwrap_or_default(),
        }
    }

    pub(super) fn set(&self, name: &str) -> Option<&(Value, Scalar, Span)> {
        self.names.sets.get(name)
    }

    /// Every name an expression may use, for did-you-mean.
    pub(super) fn names_for_suggestion(&self) -> Vec<&str> {
        let names = self.names.facts.keys().chain(self.names.sets.keys()).chain(self.names.outcomes.keys());
        names.chain(self.names.terms.keys()).map(String::as_str).collect()
    }
}
