//! The user_data word of every SQE: which group and seq a completion belongs to,
//! and whether it is a step or an auxiliary request of a style (a futex wake, a
//! message). Keeping this in one place is what lets the verifier trust a CQE.

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

/// (tag, group, seq) packed into 64 bits: tag in the top byte, group in the next
/// 24 bits, seq in the low 32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserData {
    /// What the request is.
    pub tag: Tag,
    /// Its group.
    pub group: u32,
    /// Its position in the group.
    pub seq: u32,
}

/// The largest group number that fits.
pub const MAX_GROUPS: u32 = 1 << 24;

impl UserData {
    /// A step's user_data.
    pub fn step(group: u32, seq: u32) -> u64 {
        UserData {
            tag: Tag::Step,
            group,
            seq,
        }
        .encode()
    }

    /// An auxiliary request's user_data.
    pub fn aux(group: u32, seq: u32) -> u64 {
        UserData {
            tag: Tag::Aux,
            group,
            seq,
        }
        .encode()
    }

    /// Packs into the SQE word.
    pub fn encode(self) -> u64 {
        debug_assert!(self.group < MAX_GROUPS);
        (self.tag as u64) << 56 | u64::from(self.group) << 32 | u64::from(self.seq)
    }

    /// Unpacks a CQE word; `None` for words this tool never writes.
    pub fn decode(word: u64) -> Option<UserData> {
        let tag = match word >> 56 {
            1 => Tag::Step,
            2 => Tag::Aux,
            3 => Tag::Msg,
            _ => return None,
        };
        Some(UserData {
            tag,
            group: ((word >> 32) & 0xff_ffff) as u32,
            seq: word as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (g, s) in [(0, 0), (1, 7), (MAX_GROUPS - 1, u32::MAX)] {
            let d = UserData::decode(UserData::step(g, s)).unwrap();
            assert_eq!((d.tag, d.group, d.seq), (Tag::Step, g, s));
        }
        assert_eq!(UserData::decode(0), None);
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
        let msg = UserData {
            tag: Tag::Msg,
            group: 2,
            seq: 1,
        };
        assert_eq!(UserData::decode(msg.encode()), Some(msg));
    }

    #[test]
    fn words_this_tool_never_writes_decode_to_nothing() {
        for word in [0, 9, 4 << 56, u64::MAX] {
            assert_eq!(UserData::decode(word), None, "{word:#x}");
        }
    }
}
