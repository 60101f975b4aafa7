//! The pest parser generated from `grammar/tenet.pest`. Its `Rule` and `Pair`
//! types stay inside `syntax`.

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/tenet.pest"]
pub struct Grammar;

/// Grammar rules in the user's words, for "expected ..." messages.
pub fn describe(rule: Rule) -> Option<&'static str> {
    let words = match rule {
        Rule::EOI => "end of file",
        Rule::enum_decl
        | Rule::enum_extend
        | Rule::fact_decl
        | Rule::set_decl
        | Rule::term_decl
        | Rule::outcome_decl
        | Rule::block
        | Rule::rule_decl
        | Rule::assertion => {
            "a declaration (`enum`, `fact`, `set`, `term`, `outcome`, `jurisdiction`, `contract`, `principles`, `rule` or `assert`)"
        }
        Rule::claim | Rule::claim_kind => "`always` or `never` and the property",
        Rule::required_kw => "`required`",
        Rule::block_kind => "`jurisdiction`, `contract` or `principles`",
        Rule::name | Rule::enum_values => "a name",
        // After a value: another value, the end, or the value's label.
        Rule::label => "`,`, `}` or the value's label in quotes",
        Rule::path | Rule::segment => "a fact name",
        Rule::target => "an outcome name",
        Rule::scalar_type | Rule::type_expr | Rule::list_type => {
            "a type (`bool`, `number`, `text`, `date`, `days`, an enum, or `list of ...`)"
        }
        Rule::string | Rule::string_body => "a quoted string",
        Rule::rule_id => "a rule id such as `US-6`",
        Rule::date_lit => "a date such as `2024-01-31`",
        Rule::number => "a number",
        Rule::duration | Rule::days | Rule::months => "a duration such as `14 days` or `3 months`",
        Rule::level => "`high`, `medium` or `low`",
        Rule::literal_list | Rule::list => "a list such as `[a, b]`",
        Rule::expr
        | Rule::conjunct
        | Rule::negation
        | Rule::comparison
        | Rule::fallback
        | Rule::sum
        | Rule::group
        | Rule::quantified
        | Rule::boolean => "a condition or value",
        Rule::quantifier => "`any` or `all`",
        Rule::is_test | Rule::in_test | Rule::compare | Rule::compare_op => "`is`, `in` or a comparison",
        Rule::add_op | Rule::kw_otherwise | Rule::kw_in | Rule::kw_is | Rule::kw_not => return None,
        Rule::presence => "`present` or `absent`",
        Rule::duty_state => "`required`, `forbidden` or `conflicted`",
        Rule::cite | Rule::effective | Rule::until | Rule::confidence | Rule::overrides | Rule::when_clause => {
            "a rule clause (`cite`, `effective`, `until`, `confidence`, `overrides`, `when` or `then`)"
        }
        Rule::then_clause => "`then`",
        Rule::set_outcome | Rule::add_to | Rule::require | Rule::forbid => {
            "a conclusion (`set`, `add`, `require` or `forbid`)"
        }
        Rule::applies => "`applies when`",
        Rule::one_of | Rule::set_of | Rule::map_of | Rule::duties_of | Rule::confidence_kind => {
            "an outcome kind (`one of`, `set of`, `map of`, `duties of` or `confidence`)"
        }
        Rule::optional_kw | Rule::default => "`optional` or `default`",
        _ => return keyword(rule),
    };
    Some(words)
}

/// The text of a `kw_*` rule, in backticks.
fn keyword(rule: Rule) -> Option<&'static str> {
    let words = match rule {
        Rule::kw_add => "`add`",
        Rule::kw_and => "`and`",
        Rule::kw_applies => "`applies`",
        Rule::kw_assert => "`assert`",
        Rule::kw_cite => "`cite`",
        Rule::ctx_confidence => "`confidence`",
        Rule::ctx_extend => "`extend`",
        Rule::kw_default => "`default`",
        Rule::kw_effective => "`effective`",
        Rule::kw_means => "`means`",
        Rule::kw_of => "`of`",
        Rule::kw_optional => "`optional`",
        Rule::kw_or => "`or`",
        Rule::kw_overrides => "`overrides`",
        Rule::kw_satisfies => "`satisfies`",
        Rule::kw_then => "`then`",
        Rule::kw_to => "`to`",
        Rule::kw_until => "`until`",
        Rule::kw_when => "`when`",
        _ => return None,
    };
    Some(words)
}

/// Keyword tokens carry no information once parsed; lowering skips them.
pub fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_add
            | Rule::kw_all
            | Rule::kw_and
            | Rule::kw_any
            | Rule::kw_applies
            | Rule::kw_assert
            | Rule::kw_cite
            | Rule::kw_contract
            | Rule::ctx_confidence
            | Rule::ctx_extend
            | Rule::kw_default
            | Rule::kw_duties
            | Rule::kw_effective
            | Rule::kw_enum
            | Rule::kw_fact
            | Rule::kw_false
            | Rule::kw_forbid
            | Rule::kw_in
            | Rule::kw_is
            | Rule::kw_jurisdiction
            | Rule::kw_list
            | Rule::kw_map
            | Rule::kw_means
            | Rule::kw_not
            | Rule::kw_of
            | Rule::kw_one
            | Rule::kw_optional
            | Rule::kw_or
            | Rule::kw_otherwise
            | Rule::kw_outcome
            | Rule::kw_overrides
            | Rule::kw_principles
            | Rule::kw_require
            | Rule::kw_rule
            | Rule::kw_satisfies
            | Rule::kw_set
            | Rule::kw_term
            | Rule::kw_then
            | Rule::kw_to
            | Rule::kw_true
            | Rule::kw_until
            | Rule::kw_when
    )
}
