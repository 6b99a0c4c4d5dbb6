//! The cross-batch styles with their order ignored.

use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::probe::Need;
use crate::style::order::{Breakable, Order};
use crate::style::{Futex, FutexSyscall, Helper, Instance, MsgRing, StepError, Style, SyncGroup};

/// The order ignored: a step goes as soon as the style would hold it back.
struct Ignored;

impl Order for Ignored {
    const KEPT: bool = false;
}

/// A style as it is, except that its instances ignore the order.
struct Broken<S>(S);

impl<S: Breakable> Style for Broken<S> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn about(&self) -> &'static str {
        self.0.about()
    }
    fn variants(&self) -> &'static [&'static str] {
        self.0.variants()
    }
    fn labels(&self) -> &'static [&'static str] {
        self.0.labels()
    }
    fn needs(&self, cell: &CellSpec) -> Result<Vec<Need>, String> {
        self.0.needs(cell)
    }
    fn helpers(&self, cell: &CellSpec) -> &'static [Helper] {
        self.0.helpers(cell)
    }
    fn enter_budget(&self, cell: &CellSpec) -> u32 {
        self.0.enter_budget(cell)
    }
    fn instance(&self, cell: &CellSpec, lane: &Lane) -> Result<Box<dyn Instance>, StepError> {
        self.0.build::<Ignored>(cell, lane)
    }
}

static BROKEN: &[&dyn Style] = &[
    &Broken(SyncGroup),
    &Broken(MsgRing),
    &Broken(Futex),
    &Broken(FutexSyscall),
];

/// The style named `name` broken on purpose: same name, variants and needs,
/// but each instance lets a step go where the style would hold it back until
/// the step before it completed. Only the styles that keep order across
/// batch boundaries themselves (`sync-group`, `msg-ring`, `futex`,
/// `futex-syscall`) have one; `None` for any other name.
pub fn broken(name: &str) -> Option<&'static dyn Style> {
    BROKEN.iter().copied().find(|s| s.name() == name)
}
