//! `{{…}}` variables: positional (`{{1}}`) or named (`{{first_name}}`),
//! never mixed, positional ones numbered from 1 without gaps.

use super::{Result, bad};

/// One `{{…}}` variable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Var {
    Positional(u32),
    Named(String),
}

impl Var {
    pub(super) fn label(&self) -> String {
        match self {
            Var::Positional(n) => n.to_string(),
            Var::Named(name) => name.clone(),
        }
    }
}

/// The distinct variables of `text`, in order of first appearance.
pub(super) fn variables(text: &str) -> std::result::Result<Vec<Var>, String> {
    let mut vars: Vec<Var> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| "a variable is opened with {{ but never closed".to_owned())?;
        let inner = after[..close].trim();
        let var = if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
            match inner.parse::<u32>() {
                Ok(n) if n > 0 => Var::Positional(n),
                _ => return Err(format!("{{{{{inner}}}}} is not a valid variable")),
            }
        } else if inner.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
            && inner.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            Var::Named(inner.to_owned())
        } else {
            return Err(format!("{{{{{inner}}}}} is not a valid variable"));
        };
        if !vars.contains(&var) {
            vars.push(var);
        }
        rest = &after[close + 2..];
    }
    Ok(vars)
}

/// Checks variables against the parameter format: positional ones are
/// {{1}}…{{n}}, named ones need NAMED, and the two never mix.
pub(super) fn check_variables(vars: &[Var], format: &str, path: &str) -> Result<()> {
    let named = vars.iter().filter(|v| matches!(v, Var::Named(_))).count();
    if named > 0 && named < vars.len() {
        return Err(bad(format!("{path}: named and positional variables cannot be mixed.")));
    }
    if named > 0 && format != "NAMED" {
        return Err(bad(format!("{path}: named variables need parameter_format NAMED.")));
    }
    if named == 0 && !vars.is_empty() {
        if format == "NAMED" {
            return Err(bad(format!("{path}: positional variables need parameter_format POSITIONAL.")));
        }
        let mut numbers: Vec<u32> =
            vars.iter().filter_map(|v| if let Var::Positional(n) = v { Some(*n) } else { None }).collect();
        numbers.sort_unstable();
        if numbers.iter().zip(1..).any(|(n, want)| *n != want) {
            return Err(bad(format!("{path}: variables must be sequential, starting at {{{{1}}}}.")));
        }
    }
    Ok(())
}

/// Whether two variables sit next to each other without text between them.
pub(super) fn adjacent_variables(text: &str) -> bool {
    text.match_indices("}}").any(|(at, _)| text[at + 2..].trim_start().starts_with("{{"))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn variables_are_parsed() {
        assert_eq!(variables("Hi {{1}}, {{ 2 }} and {{1}}"), Ok(vec![Var::Positional(1), Var::Positional(2)]));
        assert_eq!(variables("{{guest_name}}"), Ok(vec![Var::Named("guest_name".into())]));
        assert!(variables("{{0}}").is_err());
        assert!(variables("{{Bad}}").is_err());
        assert!(variables("open {{1").is_err());
        assert!(adjacent_variables("{{1}} {{2}}"));
        assert!(!adjacent_variables("{{1}}, {{2}}"));
    }
}
