//! Families and blocks: how the sweep orders its repetitions so that every
//! ratio it publishes is measured side by side. A family is the cells one
//! comparison sets against each other: the same op, shape and mode (every
//! coordinate but the style), with the raw reference loops beside them. A
//! family runs in blocks, each one repetition of every member (a cell's
//! timing repetition, or its raw loop's) in a random order, back to back,
//! each on a fresh set-up, a cell's raw loop right next to it; ratios are then taken within a block
//! (`reports::analysis::paired`). Families run one after another, so the blocks of a
//! family lie close together in time.

use reports::analysis::stats::{seed_for, Rng};
use reports::schema::CellKey;

/// What a family is keyed by: a cell's coordinates with its style left out.
pub fn family_of(key: &CellKey) -> CellKey {
    CellKey {
        style: "*".into(),
        variant: String::new(),
        ..key.clone()
    }
}

/// The indices of `keys` grouped by family, each family in the order its
/// first member comes, each member in its own order.
pub fn families<'k>(keys: impl IntoIterator<Item = &'k CellKey>) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<(CellKey, String, Vec<usize>)> = Vec::new();
    for (i, key) in keys.into_iter().enumerate() {
        let family = family_of(key);
        match out.iter_mut().find(|(k, _, _)| *k == family) {
            Some((_, _, members)) => members.push(i),
            None => {
                let name = family.name();
                out.push((family, name, vec![i]));
            }
        }
    }
    out.into_iter().map(|(_, name, m)| (name, m)).collect()
}

/// One repetition of a block: member `member`'s timing repetition, or its
/// raw reference loop's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unit {
    /// The member (an index the caller gave).
    pub member: usize,
    /// The raw reference loop's repetition rather than the cell's.
    pub reference: bool,
}

/// The repetitions of block `block` of the family named `family`, whose
/// members are `(index, has a raw loop)`: each member's and each raw loop's
/// once. The members come in a shuffled order (Fisher–Yates), and a member's
/// raw loop runs right before or right after it (a coin toss per member),
/// so that the ratio a reader trusts first, a cell over its raw loop, is
/// taken between neighbours in time: on a guest whose vCPUs change speed
/// over tenths of a second, neighbours share the speed far more often than
/// repetitions further apart in the block. The generator is seeded by the
/// family and the block, so a sweep run again orders its blocks alike.
pub fn block_order(family: &str, block: u32, members: &[(usize, bool)]) -> Vec<Unit> {
    let mut order: Vec<(usize, bool)> = members.to_vec();
    let mut rng = Rng::new(seed_for(family) ^ u64::from(block).wrapping_mul(0x9e37_79b9));
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut units = Vec::with_capacity(order.len() * 2);
    for (member, has_loop) in order {
        let cell = Unit {
            member,
            reference: false,
        };
        let raw = Unit {
            member,
            reference: true,
        };
        match (has_loop, rng.below(2) == 0) {
            (false, _) => units.push(cell),
            (true, true) => units.extend([raw, cell]),
            (true, false) => units.extend([cell, raw]),
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(style: &str, mode: &str, groups: u32) -> CellKey {
        CellKey {
            style: style.into(),
            variant: String::new(),
            mode: mode.into(),
            op: "nop".into(),
            forced_async: false,
            groups,
            steps: 16,
            batch: 4,
            submitters: 1,
            sharing: "per-submitter".into(),
        }
    }

    #[test]
    fn a_family_is_every_style_of_one_op_shape_and_mode() {
        let keys = [
            key("link", "default", 1),
            key("userspace", "default", 1),
            key("link", "sqpoll", 1),
            key("link", "default", 4),
            key("drain", "default", 1),
        ];
        let found = families(&keys);
        let members: Vec<&[usize]> = found.iter().map(|(_, m)| m.as_slice()).collect();
        assert_eq!(members, [&[0, 1, 4][..], &[2], &[3]]);
        assert_eq!(found[0].0, "*/default/nop/g1-s16-b4-t1");
    }

    #[test]
    fn a_block_holds_each_member_and_raw_loop_once_in_an_order_that_varies() {
        let members = [(0, true), (1, false), (2, true), (3, false)];
        let first = block_order("f", 0, &members);
        let mut sorted = first.clone();
        sorted.sort();
        let r = |member, reference| Unit { member, reference };
        assert_eq!(
            sorted,
            [
                r(0, false),
                r(0, true),
                r(1, false),
                r(2, false),
                r(2, true),
                r(3, false)
            ]
        );
        assert_eq!(
            first,
            block_order("f", 0, &members),
            "fixed by family and block"
        );
        let orders: std::collections::BTreeSet<Vec<Unit>> =
            (0..20).map(|b| block_order("f", b, &members)).collect();
        assert!(
            orders.len() > 10,
            "blocks are shuffled anew: {}",
            orders.len()
        );
        // Each member comes first in some block: no position is favoured.
        for m in 0..4 {
            assert!((0..40).any(|b| block_order("f", b, &members)[0].member == m));
        }
        // A raw loop runs next to its cell, before it in some blocks and
        // after it in others.
        let mut sides = std::collections::BTreeSet::new();
        for b in 0..40 {
            let units = block_order("f", b, &members);
            for (i, u) in units.iter().enumerate().filter(|(_, u)| u.reference) {
                let before = units.get(i + 1).is_some_and(|c| c.member == u.member);
                let after = i > 0 && units[i - 1].member == u.member;
                assert!(before || after, "block {b}: {units:?}");
                sides.insert(before);
            }
        }
        assert_eq!(sides.len(), 2, "raw loops run on both sides of their cells");
    }
}
