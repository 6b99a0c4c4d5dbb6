//! A style's variants as a type. Configs and results name a variant with a
//! string (`sync-group:queue`); the style turns that string into its own typed
//! value in one place, a [`Variants`] table, and runs on the value.

use super::StepError;
use crate::cell::CellSpec;

/// The variants of one style: each name configs and results use, with the
/// value the style runs on. Built in a `static`, so [`Variants::names`] can be
/// what [`super::Style::variants`] returns.
pub(crate) struct Variants<T: 'static, const N: usize> {
    table: [(&'static str, T); N],
    names: [&'static str; N],
}

impl<T: Copy, const N: usize> Variants<T, N> {
    /// The table, in the order `list` and reports show the variants.
    pub(crate) const fn new(table: [(&'static str, T); N]) -> Self {
        let mut names = [""; N];
        let mut i = 0;
        while i < N {
            names[i] = table[i].0;
            i += 1;
        }
        Variants { table, names }
    }

    /// Every variant's name.
    pub(crate) fn names(&'static self) -> &'static [&'static str] {
        &self.names
    }

    /// The variant `cell` names, or why it names none of this style's.
    pub(crate) fn of(&self, cell: &CellSpec) -> Result<T, UnknownVariant> {
        self.table
            .iter()
            .find(|(name, _)| *name == cell.variant)
            .map(|&(_, value)| value)
            .ok_or_else(|| UnknownVariant(cell.variant.clone()))
    }
}

/// Whether `cell` names one of its style's variants (none, for a style
/// without variants): checked for every style before its own `needs`.
pub(crate) fn check(cell: &CellSpec) -> Result<(), UnknownVariant> {
    let known = cell.style.variants();
    let named = cell.variant.as_str();
    if known.contains(&named) || (known.is_empty() && named.is_empty()) {
        Ok(())
    } else {
        Err(UnknownVariant(cell.variant.clone()))
    }
}

/// A cell names a variant its style does not have.
#[derive(thiserror::Error, Debug)]
#[error("unknown variant `{0}`")]
pub(crate) struct UnknownVariant(String);

/// What [`super::Style::needs`] reports it as.
impl From<UnknownVariant> for String {
    fn from(e: UnknownVariant) -> String {
        e.to_string()
    }
}

/// What a cell's capability check reports it as: the variant makes no
/// runnable combination with its style.
impl From<UnknownVariant> for crate::probe::Unmet {
    fn from(e: UnknownVariant) -> crate::probe::Unmet {
        crate::probe::Unmet::combination(e.to_string())
    }
}

/// What [`super::Style::instance`] reports it as.
impl From<UnknownVariant> for StepError {
    fn from(e: UnknownVariant) -> StepError {
        StepError::Setup(e.to_string())
    }
}
