//! The user_data word of every SQE: which group and seq a completion belongs to,
//! and whether it is a step or an auxiliary request of a style (a futex wake, a
//! message), and for a step made of several SQEs (an `fsync` step's WRITE
//! then FSYNC) which part of it the SQE is and whether it is the last one.
//! Keeping this in one place is what lets the verifier trust a CQE.

/// What kind of request a completion belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Tag {
    /// A step of a group: verified.
    Step = 1,
    /// Auxiliary request of a style (futex wait/wake, word bump, message): not a step.
    Aux = 2,
    /// A message posted into a ring by IORING_OP_MSG_RING.
    Msg = 3,
}

/// (tag, part, group, seq) packed into 64 bits. The top byte: bit 63 always
/// clear, bit 62 set on a part that is not its step's last, bits 60..62 the
/// part's index, bits 56..60 the tag; then group in 24 bits and seq in the low
/// 32. A one-SQE step (part 0, the last) has only its tag in the top byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserData {
    /// What the request is.
    pub tag: Tag,
    /// Its group.
    pub group: u32,
    /// Its position in the group.
    pub seq: u32,
    /// Which SQE of its step it is (0 for every request but a later part).
    pub part: u8,
    /// Whether it is the last SQE of its step: the one whose CQE completes
    /// the step (true for every request but an inner part).
    pub last: bool,
}

/// The largest group number that fits.
pub const MAX_GROUPS: u32 = 1 << 24;

/// The most SQEs one step may have.
pub const MAX_PARTS: u8 = 4;

const INNER: u64 = 1 << 62;

impl UserData {
    /// A one-SQE step's user_data.
    pub fn step(group: u32, seq: u32) -> u64 {
        UserData::step_part(group, seq, 0, true)
    }

    /// The user_data of SQE `part` of step (group, seq), `last` on the SQE
    /// whose CQE completes the step.
    pub fn step_part(group: u32, seq: u32, part: u8, last: bool) -> u64 {
        UserData {
            tag: Tag::Step,
            group,
            seq,
            part,
            last,
        }
        .encode()
    }

    /// An auxiliary request's user_data.
    pub fn aux(group: u32, seq: u32) -> u64 {
        UserData::of(Tag::Aux, group, seq).encode()
    }

    /// A request of `tag` that is not a part of a multi-SQE step.
    pub fn of(tag: Tag, group: u32, seq: u32) -> UserData {
        UserData {
            tag,
            group,
            seq,
            part: 0,
            last: true,
        }
    }

    /// Packs into the SQE word.
    pub fn encode(self) -> u64 {
        debug_assert!(self.group < MAX_GROUPS);
        debug_assert!(self.part < MAX_PARTS);
        let inner = if self.last { 0 } else { INNER };
        inner
            | u64::from(self.part) << 60
            | (self.tag as u64) << 56
            | u64::from(self.group) << 32
            | u64::from(self.seq)
    }

    /// (group, seq) when `word` is a one-SQE step's (or a step's last and
    /// only part): the one test the hot path makes per completion before
    /// [`UserData::decode`] handles every other word.
    #[inline(always)]
    pub fn whole_step(word: u64) -> Option<(u32, u32)> {
        (word >> 56 == Tag::Step as u64).then_some((((word >> 32) & 0xff_ffff) as u32, word as u32))
    }

    /// Unpacks a CQE word; `None` for words this tool never writes.
    pub fn decode(word: u64) -> Option<UserData> {
        let tag = match (word >> 56) & 0xf {
            1 => Tag::Step,
            2 => Tag::Aux,
            3 => Tag::Msg,
            _ => return None,
        };
        let part = ((word >> 60) & 0x3) as u8;
        let last = word & INNER == 0;
        if word >> 63 != 0 || (tag != Tag::Step && (part != 0 || !last)) {
            return None;
        }
        Some(UserData {
            tag,
            group: ((word >> 32) & 0xff_ffff) as u32,
            seq: word as u32,
            part,
            last,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_step_is_told_apart_from_a_part_and_a_styles_own_request() {
        assert_eq!(UserData::whole_step(UserData::step(5, 9)), Some((5, 9)));
        assert_eq!(
            UserData::whole_step(UserData::step_part(5, 9, 1, true)),
            None
        );
        assert_eq!(
            UserData::whole_step(UserData::step_part(5, 9, 0, false)),
            None
        );
        assert_eq!(UserData::whole_step(UserData::aux(5, 9)), None);
        assert_eq!(UserData::whole_step(0), None);
    }

    #[test]
    fn round_trips() {
        for (g, s) in [(0, 0), (1, 7), (MAX_GROUPS - 1, u32::MAX)] {
            let d = UserData::decode(UserData::step(g, s)).unwrap();
            assert_eq!((d.tag, d.group, d.seq), (Tag::Step, g, s));
        }
        assert_eq!(UserData::decode(0), None);
    }

    #[test]
    fn a_steps_parts_carry_their_index_and_whether_they_are_last() {
        let first = UserData::decode(UserData::step_part(3, 9, 0, false)).unwrap();
        let second = UserData::decode(UserData::step_part(3, 9, 1, true)).unwrap();
        assert_eq!(
            (first.group, first.seq, first.part, first.last),
            (3, 9, 0, false)
        );
        assert_eq!(
            (second.group, second.seq, second.part, second.last),
            (3, 9, 1, true)
        );
        assert_eq!(UserData::step_part(3, 9, 0, true), UserData::step(3, 9));
        assert_eq!(UserData::step_part(0, 0, 1, true), 1 << 60 | 1 << 56);
        assert_eq!(UserData::step_part(0, 0, 0, false), 1 << 62 | 1 << 56);
        for part in 0..MAX_PARTS {
            for last in [false, true] {
                let d = UserData::decode(UserData::step_part(MAX_GROUPS - 1, u32::MAX, part, last));
                assert_eq!(
                    d.map(|d| (d.tag, d.group, d.seq, d.part, d.last)),
                    Some((Tag::Step, MAX_GROUPS - 1, u32::MAX, part, last))
                );
            }
        }
    }

    #[test]
    fn only_steps_have_parts() {
        let aux_part = UserData::aux(1, 1) | 1 << 60;
        let aux_inner = UserData::aux(1, 1) | 1 << 62;
        assert_eq!(UserData::decode(aux_part), None);
        assert_eq!(UserData::decode(aux_inner), None);
    }

    #[test]
    fn the_tag_group_and_seq_have_their_own_bits() {
        assert_eq!(UserData::step(0, 0), 1 << 56);
        assert_eq!(UserData::aux(0, 0), 2 << 56);
        assert_eq!(UserData::step(5, 9), 1 << 56 | 5 << 32 | 9);
        assert_eq!(
            UserData::step(MAX_GROUPS - 1, 0) >> 32 & 0xff_ffff,
            0xff_ffff
        );
        let aux = UserData::decode(UserData::aux(3, 4)).unwrap();
        assert_eq!((aux.tag, aux.group, aux.seq), (Tag::Aux, 3, 4));
        let msg = UserData::of(Tag::Msg, 2, 1);
        assert_eq!(UserData::decode(msg.encode()), Some(msg));
    }

    #[test]
    fn words_this_tool_never_writes_decode_to_nothing() {
        for word in [0, 9, 4 << 56, 1 << 63 | 1 << 56, u64::MAX] {
            assert_eq!(UserData::decode(word), None, "{word:#x}");
        }
    }
}
